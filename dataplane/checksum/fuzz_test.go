package checksum_test

import (
	"encoding/binary"
	"testing"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// The fuzz target rewrites addresses and ports of a packet laid out by
// hand (IPv4 header or IPv6 pseudo-header, then a TCP or UDP segment) and
// checks that the incrementally updated checksums equal full
// recomputations, for full checksums and for partial (offload) ones that
// hold only the uncomplemented pseudo-header sum.

type l4Layout struct {
	proto  uint8
	min    int // minimum segment size
	csOff  int // offset of the checksum field
	udpish bool
}

var (
	tcpLayout = l4Layout{proto: 6, min: 20, csOff: 16}
	udpLayout = l4Layout{proto: 17, min: 8, csOff: 6, udpish: true}
)

// pseudoSum is the uncomplemented sum of the TCP/UDP pseudo-header
// (RFC 793 §3.1 and RFC 768 for IPv4, RFC 8200 §8.1 for IPv6).
func pseudoSum(src, dst []byte, proto uint8, length int) uint16 {
	s := checksum.Checksum(src, 0)
	s = checksum.Checksum(dst, s)
	s = checksum.Combine(s, uint16(proto))
	s = checksum.Combine(s, uint16(length>>16))
	return checksum.Combine(s, uint16(length))
}

// fullL4 computes the checksum field of seg from scratch, applying UDP's
// rule that a computed 0 is sent as 0xffff (RFC 768).
func fullL4(l l4Layout, seg, src, dst []byte) uint16 {
	binary.BigEndian.PutUint16(seg[l.csOff:], 0)
	v := ^checksum.Checksum(seg, pseudoSum(src, dst, l.proto, len(seg)))
	if l.udpish && v == 0 {
		v = 0xffff
	}
	binary.BigEndian.PutUint16(seg[l.csOff:], v)
	return v
}

// updateL4 updates a full checksum field by RFC 1624 equation 3, keeping
// UDP's 0 → 0xffff rule.
func updateL4(l l4Layout, field uint16, f func(uint16) uint16) uint16 {
	v := ^f(^field)
	if l.udpish && v == 0 {
		v = 0xffff
	}
	return v
}

func pad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}

func FuzzIncrementalUpdate(f *testing.F) {
	f.Add(false, false, []byte{0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6}, []byte{198, 18, 0, 1}, []byte{198, 18, 0, 2}, []byte{198, 19, 0, 9}, []byte{198, 19, 0, 10}, uint16(40000), uint16(8080), []byte("hello"))
	f.Add(false, true, []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 1, 17}, []byte{255, 255, 255, 255}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{255, 255, 255, 255}, uint16(0), uint16(0xffff), []byte{})
	f.Add(true, false, []byte{}, pad([]byte{0xfd, 0, 0, 1}, 16), pad([]byte{0xfd, 0, 0, 2}, 16), pad([]byte{0x20, 0x01, 0x0d, 0xb8}, 16), pad([]byte{0xfd}, 16), uint16(1), uint16(443), []byte("odd"))
	f.Add(true, true, []byte{}, pad([]byte{0xff, 0xff}, 16), pad(nil, 16), pad(nil, 16), pad([]byte{0xff, 0xff, 0xff}, 16), uint16(53), uint16(53), []byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, v6, udp bool, ipSeed, src, dst, newSrc, newDst []byte, newSport, newDport uint16, payload []byte) {
		alen := 4
		if v6 {
			alen = 16
		}
		src, dst, newSrc, newDst = pad(src, alen), pad(dst, alen), pad(newSrc, alen), pad(newDst, alen)
		l := tcpLayout
		if udp {
			l = udpLayout
		}
		seg := append(make([]byte, l.min), payload...)
		copy(seg, payload) // arbitrary header bytes too
		field := fullL4(l, seg, src, dst)
		partial := pseudoSum(src, dst, l.proto, len(seg))

		var ip []byte
		if !v6 {
			ip = pad(ipSeed, 20)
			ip[0] = 0x45
			ip[9] = l.proto
			copy(ip[12:], src)
			copy(ip[16:], dst)
			binary.BigEndian.PutUint16(ip[10:], 0)
			binary.BigEndian.PutUint16(ip[10:], ^checksum.Checksum(ip, 0))
		}

		// Incremental updates: addresses, then ports, then TTL.
		oldSport, oldDport := binary.BigEndian.Uint16(seg[0:]), binary.BigEndian.Uint16(seg[2:])
		field = updateL4(l, field, func(s uint16) uint16 { return checksum.UpdateAddress(s, src, newSrc) })
		field = updateL4(l, field, func(s uint16) uint16 { return checksum.UpdateAddress(s, dst, newDst) })
		field = updateL4(l, field, func(s uint16) uint16 { return checksum.Update(s, oldSport, newSport) })
		field = updateL4(l, field, func(s uint16) uint16 { return checksum.Update(s, oldDport, newDport) })
		partial = checksum.UpdateAddress(partial, src, newSrc)
		partial = checksum.UpdateAddress(partial, dst, newDst)
		binary.BigEndian.PutUint16(seg[0:], newSport)
		binary.BigEndian.PutUint16(seg[2:], newDport)
		if !v6 {
			hc := binary.BigEndian.Uint16(ip[10:])
			hc = ^checksum.UpdateAddress(^hc, ip[12:16], newSrc)
			hc = ^checksum.UpdateAddress(^hc, ip[16:20], newDst)
			copy(ip[12:], newSrc)
			copy(ip[16:], newDst)
			if ip[8] > 0 {
				ttlProto := binary.BigEndian.Uint16(ip[8:])
				ip[8]--
				hc = ^checksum.Update(^hc, ttlProto, binary.BigEndian.Uint16(ip[8:]))
			}
			binary.BigEndian.PutUint16(ip[10:], 0)
			if want := ^checksum.Checksum(ip, 0); hc != want {
				t.Fatalf("IPv4 header checksum: incremental %#04x, recomputed %#04x", hc, want)
			}
		}
		if want := fullL4(l, seg, newSrc, newDst); field != want {
			t.Fatalf("proto %d checksum: incremental %#04x, recomputed %#04x", l.proto, field, want)
		}
		if want := pseudoSum(newSrc, newDst, l.proto, len(seg)); partial != want {
			t.Fatalf("partial checksum: incremental %#04x, recomputed %#04x", partial, want)
		}
	})
}
