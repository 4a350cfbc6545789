package header_test

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func addrFrom(b []byte, v6 bool) netip.Addr {
	var a [16]byte
	copy(a[:], b)
	if v6 {
		return netip.AddrFrom16(a)
	}
	return netip.AddrFrom4([4]byte(a[:4]))
}

// FuzzRewrite runs NAT rewrites (both directions, full and partial
// checksums) and a TTL decrement through the header setters on fuzzed
// packets and checks each result against a full recomputation.
func FuzzRewrite(f *testing.F) {
	f.Add(false, false, false, []byte("198.18.0.1......"), []byte{198, 18, 0, 2}, []byte{198, 19, 9, 9}, uint16(1), uint16(2), uint16(3), []byte("hello"), uint8(64))
	f.Add(true, true, false, []byte{0x20, 1, 0xd, 0xb8}, []byte{0xfd}, []byte{0xff, 0xff, 0xff, 0xff}, uint16(65535), uint16(0), uint16(53), []byte{}, uint8(1))
	f.Add(false, true, true, []byte{255, 255, 255, 255}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 1}, uint16(0), uint16(0xffff), uint16(1), []byte{0xff}, uint8(0))
	f.Fuzz(func(t *testing.T, v6, udp, partial bool, srcB, dstB, newB []byte, sport, dport, newPort uint16, payload []byte, ttl uint8) {
		if len(payload) > 1400 {
			return
		}
		proto := uint8(header.IPProtoTCP)
		if udp {
			proto = header.IPProtoUDP
		}
		src, dst, to := addrFrom(srcB, v6), addrFrom(dstB, v6), addrFrom(newB, v6)
		pkt := ipPacket(src, dst, proto, segment(proto, sport, dport, payload))
		if partial {
			s, d, l4 := split(pkt)
			setField(proto, l4, header.PseudoHeaderChecksum(proto, s, d, uint16(len(l4))))
		}
		rewrite(pkt, proto, true, to, newPort, !partial)
		rewrite(pkt, proto, false, dst, newPort^0x5a5a, !partial)
		if !v6 {
			ip := header.IPv4(pkt)
			ip.SetTTL(ttl)
			ip.SetChecksum(0)
			ip.SetChecksum(^ip.CalculateChecksum())
			ip.DecTTL()
			if !ip.IsChecksumValid() {
				t.Fatalf("IPv4 header checksum invalid after rewrite and DecTTL (ttl %d)", ttl)
			}
		}
		s, d, l4 := split(pkt)
		got := field(proto, l4)
		var want uint16
		if partial {
			want = header.PseudoHeaderChecksum(proto, s, d, uint16(len(l4)))
		} else {
			want = setL4Checksum(proto, l4, s, d)
		}
		if got != want {
			t.Fatalf("proto %d partial %v: rewritten checksum %#04x, recomputed %#04x", proto, partial, got, want)
		}
	})
}
