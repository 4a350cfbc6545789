package header_test

import (
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/header"
)

// segment builds a TCP or UDP segment with a zero checksum.
func segment(proto uint8, sport, dport uint16, payload []byte) []byte {
	switch proto {
	case header.IPProtoTCP:
		b := make([]byte, header.TCPMinimumSize+len(payload))
		header.TCP(b).Encode(&header.TCPFields{SrcPort: sport, DstPort: dport, SeqNum: 1000, AckNum: 2000, Flags: header.TCPFlagAck | header.TCPFlagPsh, WindowSize: 65535})
		copy(b[header.TCPMinimumSize:], payload)
		return b
	default:
		b := make([]byte, header.UDPMinimumSize+len(payload))
		header.UDP(b).Encode(&header.UDPFields{SrcPort: sport, DstPort: dport, Length: uint16(len(b))})
		copy(b[header.UDPMinimumSize:], payload)
		return b
	}
}

// ipPacket wraps seg in an IPv4 or IPv6 header (by the family of src)
// and fills in every checksum, applying UDP's 0 → 0xffff rule.
func ipPacket(src, dst netip.Addr, proto uint8, seg []byte) []byte {
	var pkt, s, d []byte
	if src.Is4() {
		pkt = make([]byte, header.IPv4MinimumSize+len(seg))
		ip := header.IPv4(pkt)
		ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(pkt)), ID: 7, Flags: header.IPv4FlagDontFragment, TTL: 64, Protocol: proto, SrcAddr: src, DstAddr: dst})
		ip.SetChecksum(^ip.CalculateChecksum())
		s, d = ip.SourceAddressSlice(), ip.DestinationAddressSlice()
	} else {
		pkt = make([]byte, header.IPv6MinimumSize+len(seg))
		ip := header.IPv6(pkt)
		ip.Encode(&header.IPv6Fields{PayloadLength: uint16(len(seg)), NextHeader: proto, HopLimit: 64, SrcAddr: src, DstAddr: dst})
		s, d = ip.SourceAddressSlice(), ip.DestinationAddressSlice()
	}
	l4 := pkt[len(pkt)-len(seg):]
	copy(l4, seg)
	setL4Checksum(proto, l4, s, d)
	return pkt
}

// setL4Checksum computes a segment's checksum from scratch.
func setL4Checksum(proto uint8, l4, src, dst []byte) uint16 {
	partial := header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))
	switch proto {
	case header.IPProtoTCP:
		t := header.TCP(l4)
		t.SetChecksum(0)
		t.SetChecksum(^t.CalculateChecksum(partial))
		return t.Checksum()
	default:
		u := header.UDP(l4)
		u.SetChecksum(0)
		c := ^u.CalculateChecksum(partial)
		if c == 0 {
			c = 0xffff
		}
		u.SetChecksum(c)
		return c
	}
}

// split returns the IP addresses (as slices of pkt) and the L4 bytes.
func split(pkt []byte) (src, dst, l4 []byte) {
	if pkt[0]>>4 == 4 {
		ip := header.IPv4(pkt)
		return ip.SourceAddressSlice(), ip.DestinationAddressSlice(), pkt[ip.HeaderLength():]
	}
	ip := header.IPv6(pkt)
	return ip.SourceAddressSlice(), ip.DestinationAddressSlice(), pkt[header.IPv6MinimumSize:]
}
