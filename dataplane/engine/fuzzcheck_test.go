package engine

import (
	"encoding/binary"
	"fmt"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
)

// Checksum rules of the fuzz test, applied alike to the frames it feeds
// (fixIP makes them right, ipProblems says whether they are) and to the
// frames the engine transmits (ipProblems). They are a receiver's: the
// IPv4 header checksum; TCP over the IP payload; UDP over its own length
// when that is sane (a zero checksum is "none" over IPv4 only); SCTP's
// CRC32c; ICMP over the message, ICMPv6 with its pseudo-header; the IPv4
// header quoted by an ICMP error when it is whole; and, for tunnels
// (IPIP, IPv6-in-IP, GRE, GUE to gueTestPort), the outer headers and the
// whole inner packet. The quoted transport header of an ICMP error is
// never checked: the quote may be cut, and IPVS leaves its checksum as it
// was when it rewrites a port in it.

// gueTestPort is the GUE port of the world's GUE real server.
const gueTestPort = 6080

// maxNest bounds how deep tunnels are followed.
const maxNest = 3

// l2Len returns the length of the Ethernet header and VLAN tags of frame
// and the EtherType after them, or -1.
func l2Len(frame []byte) (int, uint16) {
	if len(frame) < header.EthernetMinimumSize {
		return -1, 0
	}
	off := header.EthernetMinimumSize
	et := binary.BigEndian.Uint16(frame[off-2:])
	for header.IsVLAN(et) {
		if len(frame) < off+header.VLANTagSize {
			return -1, 0
		}
		et = binary.BigEndian.Uint16(frame[off+2:])
		off += header.VLANTagSize
	}
	return off, et
}

// ipParts locates the pieces of the IP packet at the start of b: the
// packet up to its stated length, its transport protocol and segment and
// the pseudo-header addresses. ok is false when b is no whole IP packet.
func ipParts(b []byte) (pkt []byte, proto uint8, l4, src, dst []byte, ok bool) {
	if len(b) < 1 {
		return nil, 0, nil, nil, nil, false
	}
	switch b[0] >> 4 {
	case 4:
		ip := header.IPv4(b)
		if len(b) < header.IPv4MinimumSize {
			return nil, 0, nil, nil, nil, false
		}
		hl, n := int(ip.HeaderLength()), int(ip.TotalLength())
		if hl < header.IPv4MinimumSize || n < hl || n > len(b) {
			return nil, 0, nil, nil, nil, false
		}
		return b[:n], ip.Protocol(), b[hl:n], ip.SourceAddressSlice(), ip.DestinationAddressSlice(), true
	case 6:
		if len(b) < header.IPv6MinimumSize {
			return nil, 0, nil, nil, nil, false
		}
		ip := header.IPv6(b)
		n := header.IPv6MinimumSize + int(ip.PayloadLength())
		if n > len(b) {
			return nil, 0, nil, nil, nil, false
		}
		proto, off, st := header.SkipIPv6ExtHeaders(b[header.IPv6MinimumSize:n], ip.NextHeader(), header.IPv6MaxExtHeaders)
		if st != header.ExtHeaderDone {
			return nil, 0, nil, nil, nil, false
		}
		return b[:n], proto, b[header.IPv6MinimumSize+off : n], ip.SourceAddressSlice(), ip.DestinationAddressSlice(), true
	}
	return nil, 0, nil, nil, nil, false
}

// udpSpan is the part of a UDP segment its checksum covers: its own
// length when that is between 8 and the segment, else the segment.
func udpSpan(l4 []byte) []byte {
	if n := int(binary.BigEndian.Uint16(l4[4:])); n >= header.UDPMinimumSize && n <= len(l4) {
		return l4[:n]
	}
	return l4
}

// fixIP sets every checksum of the IP packet at the start of b that the
// rules above check; it leaves alone what it cannot locate.
func fixIP(b []byte, depth int) {
	pkt, proto, l4, src, dst, ok := ipParts(b)
	if !ok || depth > maxNest {
		return
	}
	v4 := pkt[0]>>4 == 4
	// The transport first: a tunnel's inner packet before the outer sum.
	switch {
	case proto == header.IPProtoTCP && len(l4) >= header.TCPMinimumSize:
		t := header.TCP(l4)
		t.SetChecksum(0)
		t.SetChecksum(^t.CalculateChecksum(header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))))
	case proto == header.IPProtoUDP && len(l4) >= header.UDPMinimumSize:
		u := header.UDP(udpSpan(l4))
		if u.DestinationPort() == gueTestPort && len(u) >= gueEncap {
			fixIP(u[gueEncap:], depth+1)
		}
		u.SetChecksum(0)
		s := ^u.CalculateChecksum(header.PseudoHeaderChecksum(proto, src, dst, uint16(len(u))))
		if s == 0 {
			s = 0xffff
		}
		u.SetChecksum(s)
	case proto == header.IPProtoSCTP && len(l4) >= header.SCTPMinimumSize:
		header.SCTP(l4).SetChecksum(checksum.SCTP(l4))
	case proto == header.IPProtoICMPv4 && v4 && len(l4) >= header.ICMPv4MinimumSize:
		fixQuotedIPv4(l4)
		ic := header.ICMPv4(l4)
		ic.SetChecksum(0)
		ic.SetChecksum(^ic.CalculateChecksum())
	case proto == header.IPProtoICMPv6 && !v4 && len(l4) >= header.ICMPv6MinimumSize:
		ic := header.ICMPv6(l4)
		ic.SetChecksum(0)
		ic.SetChecksum(^ic.CalculateChecksum(header.PseudoHeaderChecksum(proto, src, dst, uint16(len(l4)))))
	case proto == header.IPProtoIPIP || proto == header.IPProtoIPv6:
		fixIP(l4, depth+1)
	case proto == header.IPProtoGRE && len(l4) >= greHeaderSize:
		hl := greHeaderSize
		if binary.BigEndian.Uint16(l4)&greFlagCsum != 0 {
			hl = greCsumHeaderSize
		}
		if len(l4) >= hl {
			fixIP(l4[hl:], depth+1)
			if hl == greCsumHeaderSize {
				binary.BigEndian.PutUint16(l4[4:], 0)
				binary.BigEndian.PutUint16(l4[4:], ^checksum.Checksum(l4, 0))
			}
		}
	}
	if v4 {
		ip := header.IPv4(pkt)
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
	}
}

// fixQuotedIPv4 sets the checksum of the IPv4 header an ICMPv4 error
// quotes, when the whole header is there.
func fixQuotedIPv4(icmp []byte) {
	if !header.IsICMPv4Error(icmp[0]) || len(icmp) < header.ICMPv4MinimumSize+header.IPv4MinimumSize {
		return
	}
	q := header.IPv4(icmp[header.ICMPv4MinimumSize:])
	if q.Version() != 4 || int(q.HeaderLength()) < header.IPv4MinimumSize || len(q) < int(q.HeaderLength()) {
		return
	}
	q.SetChecksum(0)
	q.SetChecksum(^q.CalculateChecksum())
}

// frameProblems returns what is wrong with the frame's checksums by the
// rules above, "" if nothing; a frame that is no IP frame has none.
func frameProblems(frame []byte) string {
	off, et := l2Len(frame)
	if off < 0 || (et != header.EtherTypeIPv4 && et != header.EtherTypeIPv6) {
		return ""
	}
	if _, _, _, _, _, ok := ipParts(frame[off:]); !ok {
		return ""
	}
	return ipProblems(frame[off:], 0)
}

// ipProblems returns what is wrong with the checksums of the IP packet at
// the start of b, which must be whole, "" if nothing.
func ipProblems(b []byte, depth int) string {
	pkt, proto, l4, src, dst, ok := ipParts(b)
	if !ok {
		return "not a whole IP packet"
	}
	v4 := pkt[0]>>4 == 4
	if v4 && !header.IPv4(pkt).IsChecksumValid() {
		return "bad IPv4 header checksum"
	}
	if depth > maxNest {
		return ""
	}
	switch {
	case proto == header.IPProtoTCP && len(l4) >= header.TCPMinimumSize:
		if !header.TCP(l4).IsChecksumValid(src, dst) {
			return "bad TCP checksum"
		}
	case proto == header.IPProtoUDP && len(l4) >= header.UDPMinimumSize:
		u := header.UDP(udpSpan(l4))
		if !u.IsChecksumValid(src, dst) {
			return fmt.Sprintf("bad UDP checksum %#04x", u.Checksum())
		}
		if u.DestinationPort() == gueTestPort && len(u) >= gueEncap {
			if p := ipProblems(u[gueEncap:], depth+1); p != "" {
				return "GUE inner: " + p
			}
		}
	case proto == header.IPProtoSCTP && len(l4) >= header.SCTPMinimumSize:
		if !header.SCTP(l4).IsChecksumValid() {
			return "bad SCTP CRC32c"
		}
	case proto == header.IPProtoICMPv4 && v4 && len(l4) >= header.ICMPv4MinimumSize:
		if !header.ICMPv4(l4).IsChecksumValid() {
			return "bad ICMPv4 checksum"
		}
		if header.IsICMPv4Error(l4[0]) && len(l4) >= header.ICMPv4MinimumSize+header.IPv4MinimumSize {
			q := header.IPv4(l4[header.ICMPv4MinimumSize:])
			if q.Version() == 4 && int(q.HeaderLength()) >= header.IPv4MinimumSize && len(q) >= int(q.HeaderLength()) && !q.IsChecksumValid() {
				return "bad checksum of the quoted IPv4 header"
			}
		}
	case proto == header.IPProtoICMPv6 && !v4 && len(l4) >= header.ICMPv6MinimumSize:
		if !header.ICMPv6(l4).IsChecksumValid(src, dst) {
			return "bad ICMPv6 checksum"
		}
	case proto == header.IPProtoIPIP || proto == header.IPProtoIPv6:
		if p := ipProblems(l4, depth+1); p != "" {
			return "IPIP inner: " + p
		}
	case proto == header.IPProtoGRE && len(l4) >= greHeaderSize:
		hl := greHeaderSize
		if binary.BigEndian.Uint16(l4)&greFlagCsum != 0 {
			hl = greCsumHeaderSize
			if len(l4) < hl || checksum.Checksum(l4, 0) != 0xffff {
				return "bad GRE checksum"
			}
		}
		if p := ipProblems(l4[hl:], depth+1); p != "" {
			return "GRE inner: " + p
		}
	}
	return ""
}
