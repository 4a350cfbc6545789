package header_test

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func TestTCPAccessors(t *testing.T) {
	b := make([]byte, 32)
	tcp := header.TCP(b)
	tcp.Encode(&header.TCPFields{SrcPort: 40000, DstPort: 80, SeqNum: 0x01020304, AckNum: 0xa0b0c0d0, DataOffset: 24,
		Flags: header.TCPFlagSyn | header.TCPFlagAck, WindowSize: 29200, Checksum: 0xbeef, UrgentPointer: 7})
	checks := []struct {
		name      string
		got, want any
	}{
		{"SourcePort", tcp.SourcePort(), uint16(40000)},
		{"DestinationPort", tcp.DestinationPort(), uint16(80)},
		{"SequenceNumber", tcp.SequenceNumber(), uint32(0x01020304)},
		{"AckNumber", tcp.AckNumber(), uint32(0xa0b0c0d0)},
		{"DataOffset", tcp.DataOffset(), uint8(24)},
		{"Flags", tcp.Flags(), uint8(0x12)},
		{"WindowSize", tcp.WindowSize(), uint16(29200)},
		{"Checksum", tcp.Checksum(), uint16(0xbeef)},
		{"UrgentPointer", tcp.UrgentPointer(), uint16(7)},
		{"Options len", len(tcp.Options()), 4},
		{"Payload len", len(tcp.Payload()), 8},
		{"byte 12", b[12], uint8(0x60)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestTCPIsValid(t *testing.T) {
	tests := []struct {
		name    string
		doff    uint8
		size    int
		pktSize int
		want    bool
	}{
		{"minimal", 20, 20, 20, true},
		{"options", 60, 60, 60, true},
		{"data offset 4 words", 16, 20, 20, false},
		{"data offset beyond segment", 24, 40, 20, false},
		{"short view", 20, 19, 19, false},
		{"pktSize beyond view", 20, 20, 21, false},
	}
	for _, tt := range tests {
		b := make([]byte, max(tt.size, 20))[:tt.size]
		if tt.size >= 20 {
			header.TCP(b).SetDataOffset(tt.doff)
		}
		if got := header.TCP(b).IsValid(tt.pktSize); got != tt.want {
			t.Errorf("%s: IsValid = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUDPAccessorsAndIsValid(t *testing.T) {
	b := make([]byte, 12)
	u := header.UDP(b)
	u.Encode(&header.UDPFields{SrcPort: 53, DstPort: 5353, Length: 10, Checksum: 0x1234})
	if u.SourcePort() != 53 || u.DestinationPort() != 5353 || u.Length() != 10 || u.Checksum() != 0x1234 || len(u.Payload()) != 2 {
		t.Errorf("decoded %d %d %d %#x payload %d", u.SourcePort(), u.DestinationPort(), u.Length(), u.Checksum(), len(u.Payload()))
	}
	tests := []struct {
		length  uint16
		pktSize int
		want    bool
	}{{10, 12, true}, {12, 12, true}, {8, 8, true}, {13, 12, false}, {7, 12, false}, {8, 13, false}}
	for _, tt := range tests {
		u.SetLength(tt.length)
		if got := u.IsValid(tt.pktSize); got != tt.want {
			t.Errorf("length %d pktSize %d: IsValid = %v, want %v", tt.length, tt.pktSize, got, tt.want)
		}
	}
}

// TestNATRewrite rewrites destination (DNAT) then source (SNAT) address
// and port of every family/protocol pair through the setters and checks
// every checksum against the header's own validator.
func TestNATRewrite(t *testing.T) {
	for _, fam := range []struct{ src, dst, newAddr netip.Addr }{{v4a, v4b, v4c}, {v6a, v6b, v6c}} {
		for _, proto := range []uint8{header.IPProtoTCP, header.IPProtoUDP} {
			pkt := ipPacket(fam.src, fam.dst, proto, segment(proto, 40000, 80, []byte("payload!!")))
			rewrite(pkt, proto, true, fam.newAddr, 8080, true)
			src, dst, l4 := split(pkt)
			if netip.AddrFrom16([16]byte(pad16(dst))).Unmap() != fam.newAddr {
				t.Fatalf("destination not rewritten: %v", dst)
			}
			if !l4Valid(proto, l4, src, dst) || (fam.src.Is4() && !header.IPv4(pkt).IsChecksumValid()) {
				t.Errorf("%v proto %d: checksum invalid after DNAT", fam.src, proto)
			}
			rewrite(pkt, proto, false, fam.dst, 1024, true)
			src, dst, l4 = split(pkt)
			if netip.AddrFrom16([16]byte(pad16(src))).Unmap() != fam.dst {
				t.Fatalf("source not rewritten: %v", src)
			}
			if !l4Valid(proto, l4, src, dst) || (fam.src.Is4() && !header.IPv4(pkt).IsChecksumValid()) {
				t.Errorf("%v proto %d: checksum invalid after SNAT", fam.src, proto)
			}
		}
	}
}

func pad16(a []byte) []byte {
	if len(a) == 16 {
		return a
	}
	return append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, a...)
}

func l4Valid(proto uint8, l4, src, dst []byte) bool {
	if proto == header.IPProtoTCP {
		return header.TCP(l4).IsChecksumValid(src, dst)
	}
	return header.UDP(l4).IsChecksumValid(src, dst)
}

// rewriteDst is a DNAT rewrite in the shape the xmit code uses:
// transport checksum first (with a copy of the old address), then the IP
// header.
func rewriteDst(pkt []byte, proto uint8, to netip.Addr, port uint16, full bool) {
	rewrite(pkt, proto, true, to, port, full)
}

// rewrite changes the destination (dstSide) or source address and port.
func rewrite(pkt []byte, proto uint8, dstSide bool, to netip.Addr, port uint16, full bool) {
	src, dst, l4 := split(pkt)
	cur := src
	if dstSide {
		cur = dst
	}
	old := append([]byte(nil), cur...)
	var nw []byte
	if to.Is4() {
		a := to.As4()
		nw = a[:]
	} else {
		a := to.As16()
		nw = a[:]
	}
	switch {
	case proto == header.IPProtoTCP:
		tcp := header.TCP(l4)
		tcp.UpdateChecksumPseudoHeaderAddress(old, nw, full)
		switch {
		case !full && dstSide:
			tcp.SetDestinationPort(port)
		case !full:
			tcp.SetSourcePort(port)
		case dstSide:
			tcp.SetDestinationPortWithChecksumUpdate(port)
		default:
			tcp.SetSourcePortWithChecksumUpdate(port)
		}
	default:
		udp := header.UDP(l4)
		udp.UpdateChecksumPseudoHeaderAddress(old, nw, full)
		switch {
		case !full && dstSide:
			udp.SetDestinationPort(port)
		case !full:
			udp.SetSourcePort(port)
		case dstSide:
			udp.SetDestinationPortWithChecksumUpdate(port)
		default:
			udp.SetSourcePortWithChecksumUpdate(port)
		}
	}
	switch {
	case to.Is4() && dstSide:
		header.IPv4(pkt).SetDestinationAddressWithChecksumUpdate(nw)
	case to.Is4():
		header.IPv4(pkt).SetSourceAddressWithChecksumUpdate(nw)
	case dstSide:
		header.IPv6(pkt).SetDestinationAddress(nw)
	default:
		header.IPv6(pkt).SetSourceAddress(nw)
	}
}

func TestPartialChecksumRewrite(t *testing.T) {
	for _, fam := range []struct{ src, dst, newAddr netip.Addr }{{v4a, v4b, v4c}, {v6a, v6b, v6c}} {
		for _, proto := range []uint8{header.IPProtoTCP, header.IPProtoUDP} {
			pkt := ipPacket(fam.src, fam.dst, proto, segment(proto, 40000, 80, []byte("xyz")))
			src, dst, l4 := split(pkt)
			// What a sender with checksum offload leaves in the field.
			partial := header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))
			setField(proto, l4, partial)
			rewriteDst(pkt, proto, fam.newAddr, 8080, false)
			src, dst, l4 = split(pkt)
			want := header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))
			if got := field(proto, l4); got != want {
				t.Errorf("%v proto %d: partial checksum %#04x, want %#04x", fam.src, proto, got, want)
			}
		}
	}
}

func setField(proto uint8, l4 []byte, v uint16) {
	if proto == header.IPProtoTCP {
		header.TCP(l4).SetChecksum(v)
	} else {
		header.UDP(l4).SetChecksum(v)
	}
}

func field(proto uint8, l4 []byte) uint16 {
	if proto == header.IPProtoTCP {
		return header.TCP(l4).Checksum()
	}
	return header.UDP(l4).Checksum()
}

func TestUDPAbsentChecksumStaysAbsent(t *testing.T) {
	pkt := ipPacket(v4a, v4b, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, []byte("data")))
	_, _, l4 := split(pkt)
	header.UDP(l4).SetChecksum(0)
	rewriteDst(pkt, header.IPProtoUDP, v4c, 53, true)
	header.UDP(l4).SetSourcePortWithChecksumUpdate(5353)
	if c := header.UDP(l4).Checksum(); c != 0 {
		t.Errorf("absent UDP checksum became %#04x after rewrite", c)
	}
}

// TestUDPZeroResultBecomesFFFF builds a datagram whose checksum, after a
// destination rewrite, computes to 0: the update must store 0xffff, not
// 0 ("no checksum").
func TestUDPZeroResultBecomesFFFF(t *testing.T) {
	for _, fam := range []struct{ src, dst, newAddr netip.Addr }{{v4a, v4b, v4c}, {v6a, v6b, v6c}} {
		// Choose two payload bytes so that the rewritten datagram sums
		// to exactly 0xffff.
		after := ipPacket(fam.src, fam.newAddr, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, []byte{0, 0}))
		src, dst, l4 := split(after)
		header.UDP(l4).SetChecksum(0)
		s := header.UDP(l4).CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoUDP, src, dst, uint16(len(l4))))
		x := ^s
		payload := []byte{byte(x >> 8), byte(x)}

		pkt := ipPacket(fam.src, fam.dst, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, payload))
		rewriteDst(pkt, header.IPProtoUDP, fam.newAddr, 2, true)
		src, dst, l4 = split(pkt)
		if c := header.UDP(l4).Checksum(); c != 0xffff {
			t.Errorf("%v: checksum after rewrite %#04x, want 0xffff", fam.src, c)
		}
		if !header.UDP(l4).IsChecksumValid(src, dst) {
			t.Errorf("%v: checksum invalid after rewrite", fam.src)
		}
	}
}

func TestUDPZeroChecksumValidity(t *testing.T) {
	pkt := ipPacket(v4a, v4b, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, nil))
	src, dst, l4 := split(pkt)
	header.UDP(l4).SetChecksum(0)
	if !header.UDP(l4).IsChecksumValid(src, dst) {
		t.Error("IPv4 UDP with zero checksum: IsChecksumValid = false")
	}
	pkt = ipPacket(v6a, v6b, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, nil))
	src, dst, l4 = split(pkt)
	header.UDP(l4).SetChecksum(0)
	if header.UDP(l4).IsChecksumValid(src, dst) {
		t.Error("IPv6 UDP with zero checksum: IsChecksumValid = true")
	}
}

func TestTCPChecksumDetectsCorruption(t *testing.T) {
	pkt := ipPacket(v6a, v6b, header.IPProtoTCP, segment(header.IPProtoTCP, 1, 2, []byte("abc")))
	src, dst, l4 := split(pkt)
	if !header.TCP(l4).IsChecksumValid(src, dst) {
		t.Fatal("fresh segment: checksum invalid")
	}
	l4[len(l4)-1] ^= 0x40
	if header.TCP(l4).IsChecksumValid(src, dst) {
		t.Error("corrupted payload: checksum valid")
	}
}
