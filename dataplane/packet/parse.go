package packet

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// maxVLANTags is how many VLAN tags Parse walks over (802.1ad QinQ).
const maxVLANTags = 2

// maxFrameSize bounds the end of the IP packet so that every offset in
// Meta fits its uint16.
const maxFrameSize = 0xffff

// icmpMinimumSize is what Parse needs of an ICMP message: type, code and
// checksum.
const icmpMinimumSize = 4

// Parse fills m from frame and returns verdict.None, or the reason to
// drop. m is reset first; when Parse returns a reason, m holds what was
// parsed before the problem was found. Lengths are checked against the
// frame once here, so callers may use the offsets in m unchecked: on
// success L3Off < L4Off ≤ PayloadOff ≤ L3Off+IPLen ≤ len(frame).
func Parse(frame []byte, m *Meta) verdict.DropReason {
	*m = Meta{}
	if len(frame) < header.EthernetMinimumSize {
		return verdict.Truncated
	}
	// typeOff is the offset of the EtherType (or TPID) being looked at.
	typeOff := header.EthernetMinimumSize - 2
	et := binary.BigEndian.Uint16(frame[typeOff:])
	for i := 0; i < maxVLANTags && header.IsVLAN(et); i++ {
		if len(frame) < typeOff+2+header.VLANTagSize {
			return verdict.Truncated
		}
		tag := header.VLAN(frame[typeOff+2:])
		if i == 0 {
			m.VLANID = tag.ID()
		}
		et = tag.Type()
		typeOff += header.VLANTagSize
	}
	l3 := typeOff + 2
	m.EtherType = et
	m.L3Off = uint16(l3)
	switch et {
	case header.EtherTypeIPv4:
		return parseIPv4(frame, l3, m)
	case header.EtherTypeIPv6:
		return parseIPv6(frame, l3, m)
	}
	return verdict.BadEtherType
}

// parseIPv4 parses the IPv4 header at l3 and what follows.
func parseIPv4(frame []byte, l3 int, m *Meta) verdict.DropReason {
	if len(frame)-l3 < header.IPv4MinimumSize {
		return verdict.Truncated
	}
	ip := header.IPv4(frame[l3:])
	if ip.Version() != header.IPv4Version {
		return verdict.BadIPVersion
	}
	hlen := int(ip.HeaderLength())
	if hlen < header.IPv4MinimumSize {
		return verdict.BadIHL
	}
	if hlen > header.IPv4MinimumSize {
		return verdict.IPv4Options
	}
	tlen := int(ip.TotalLength())
	// The last test keeps offsets within uint16 on oversized frames.
	if tlen < hlen || tlen > len(ip) || l3+tlen > maxFrameSize {
		return verdict.BadLength
	}
	m.Family = 4
	m.IPLen = uint16(tlen)
	m.Proto = ip.Protocol()
	m.Src[10], m.Src[11] = 0xff, 0xff
	m.Dst[10], m.Dst[11] = 0xff, 0xff
	copy(m.Src[12:], ip.SourceAddressSlice())
	copy(m.Dst[12:], ip.DestinationAddressSlice())
	if ip.IsFragment() {
		return verdict.Fragment
	}
	return parseL4(frame[:l3+tlen], l3+hlen, m)
}

// parseIPv6 parses the IPv6 header at l3, walks its extension headers and
// parses what follows.
func parseIPv6(frame []byte, l3 int, m *Meta) verdict.DropReason {
	if len(frame)-l3 < header.IPv6MinimumSize {
		return verdict.Truncated
	}
	ip := header.IPv6(frame[l3:])
	if ip.Version() != header.IPv6Version {
		return verdict.BadIPVersion
	}
	tlen := header.IPv6MinimumSize + int(ip.PayloadLength())
	if tlen > len(ip) || l3+tlen > maxFrameSize {
		return verdict.BadLength
	}
	m.Family = 6
	m.IPLen = uint16(tlen)
	copy(m.Src[:], ip.SourceAddressSlice())
	copy(m.Dst[:], ip.DestinationAddressSlice())
	payload := frame[l3+header.IPv6MinimumSize : l3+tlen]
	proto, off, st := header.SkipIPv6ExtHeaders(payload, ip.NextHeader(), header.IPv6MaxExtHeaders)
	m.Proto = proto
	switch st {
	case header.ExtHeaderFragment:
		return verdict.Fragment
	case header.ExtHeaderMalformed, header.ExtHeaderTooMany:
		return verdict.BadExtHeader
	}
	return parseL4(frame[:l3+tlen], l3+header.IPv6MinimumSize+off, m)
}

// parseL4 parses the transport header at l4 of pkt, which ends where the
// IP packet ends.
func parseL4(pkt []byte, l4 int, m *Meta) verdict.DropReason {
	m.L4Off = uint16(l4)
	m.PayloadOff = uint16(l4)
	seg := pkt[l4:]
	switch m.Proto {
	case header.IPProtoTCP:
		if len(seg) < header.TCPMinimumSize {
			return verdict.Truncated
		}
		tcp := header.TCP(seg)
		doff := int(tcp.DataOffset())
		if doff < header.TCPMinimumSize || doff > len(seg) {
			return verdict.BadLength
		}
		m.SrcPort, m.DstPort = tcp.SourcePort(), tcp.DestinationPort()
		m.TCPFlags = tcp.Flags()
		m.PayloadOff = uint16(l4 + doff)
	case header.IPProtoUDP:
		if len(seg) < header.UDPMinimumSize {
			return verdict.Truncated
		}
		udp := header.UDP(seg)
		if n := int(udp.Length()); n < header.UDPMinimumSize || n > len(seg) {
			return verdict.BadLength
		}
		m.SrcPort, m.DstPort = udp.SourcePort(), udp.DestinationPort()
		m.PayloadOff = uint16(l4 + header.UDPMinimumSize)
	case header.IPProtoSCTP:
		return parseSCTP(seg, l4, m)
	case header.IPProtoICMPv4, header.IPProtoICMPv6:
		// Each only in its own IP version; elsewhere it is just another
		// protocol.
		if (m.Proto == header.IPProtoICMPv4) != (m.Family == 4) {
			break
		}
		if len(seg) < icmpMinimumSize {
			return verdict.Truncated
		}
		m.ICMPType, m.ICMPCode = seg[0], seg[1]
	}
	return verdict.None
}
