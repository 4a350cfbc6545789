package engine

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// GUE (draft-ietf-intarea-gue, as Linux's fou and IPVS use it): a 4-byte
// header after the UDP header. Version 0 with no extension fields:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|0x0|C|   Hlen  |  Proto/ctype  |             Flags             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Proto is the inner packet's IP protocol: 4 (IPv4) or 41 (IPv6).
const (
	gueHeaderSize = 4
	gueEncap      = header.UDPMinimumSize + gueHeaderSize
)

// GRE (RFC 2784), as IPVS builds it since Linux 5.2 (ipvs_gre_encap with
// gre_build_header): the base header, and with --tun-csum the checksum
// present bit and a checksum field over the GRE header and the inner
// packet; never a key or a sequence number (RFC 2890).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|C|       Reserved0       | Ver |         Protocol Type         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Checksum (optional)      |       Reserved1 (Optional)    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Protocol Type is the inner packet's EtherType: 0x0800 or 0x86DD.
const (
	greHeaderSize     = 4
	greCsumHeaderSize = 8
	greFlagCsum       = 0x8000
)

// Source ports of GUE packets spread flows over the real server's receive
// queues like Linux's udp_flow_src_port: a hash of the inner flow in the
// kernel's default ephemeral range.
const (
	gueSportBase  = 32768
	gueSportRange = 60999 - 32768 + 1
)

// defaultMTU is assumed for a next hop whose MTU is unknown.
const defaultMTU = 1500

// ipv4DF is the don't-fragment bit of [header.IPv4.Flags].
const ipv4DF = header.IPv4FlagDontFragment

// xmitTunnel forwards a packet to a tunnel real server (IPVS
// ip_vs_tunnel_xmit): it prepends an outer IP header from the director's
// address on the egress link (the next hop's Src) to the real server's
// address, IPv4 or IPv6 as the real server is (IPIP, protocol 4 or 41),
// with a UDP and a GUE header between them for --tun-type gue, a GRE
// header (protocol 47) for --tun-type gre. The outer
// header copies the inner TOS/traffic class and TTL/hop limit, and
// DF from an IPv4 inner packet (always DF for an IPv6 one). A packet that
// would exceed the egress MTU once encapsulated is answered with ICMP
// fragmentation-needed / packet-too-big when it may not be fragmented.
func (w *Worker) xmitTunnel(d *port.Desc, frame []byte, m *packet.Meta, dest *snapshot.Dest) (int, verdict.Verdict) {
	nh := &dest.NextHop
	if !nh.Valid {
		return w.dropped(verdict.NoNextHop)
	}
	outer4 := isMapped(&dest.Addr)
	encap := header.IPv6MinimumSize
	if outer4 {
		encap = header.IPv4MinimumSize
	}
	switch dest.TunType {
	case snapshot.TunIPIP:
	case snapshot.TunGUE:
		encap += gueEncap
	case snapshot.TunGRE:
		encap += greLen(dest)
	default:
		return w.dropped(verdict.Unsupported)
	}
	ipLen := int(m.IPLen)
	mtu := int(nh.MTU)
	if mtu == 0 {
		mtu = defaultMTU
	}
	if ipLen+encap > mtu {
		return w.tooBig(d, frame, m, mtu-encap)
	}
	l3 := int(m.L3Off)
	d.Len = uint32(l3 + ipLen) // Ethernet padding must not end up inside the tunnel
	frame, ok := w.grow(d, encap)
	if !ok {
		return w.dropped(verdict.NoHeadroom)
	}
	copy(frame[0:l3], frame[encap:encap+l3])
	copy(frame[0:6], nh.DstMAC[:])
	copy(frame[6:12], nh.SrcMAC[:])
	inner := frame[l3+encap:]
	innerProto, tos, ttl, df := uint8(header.IPProtoIPIP), uint8(0), uint8(0), true
	if m.Family == 4 {
		ip := header.IPv4(inner)
		tos, ttl, df = ip.TOS(), ip.TTL(), ip.Flags()&ipv4DF != 0
	} else {
		ip := header.IPv6(inner)
		innerProto, tos, ttl = header.IPProtoIPv6, ip.TrafficClass(), ip.HopLimit()
	}
	proto := innerProto
	switch dest.TunType {
	case snapshot.TunGUE:
		proto = header.IPProtoUDP
	case snapshot.TunGRE:
		proto = header.IPProtoGRE
	}
	hdrLen := header.IPv6MinimumSize
	if outer4 {
		hdrLen = header.IPv4MinimumSize
		binary.BigEndian.PutUint16(frame[l3-2:], header.EtherTypeIPv4)
		ip := header.IPv4(frame[l3:])
		ip.SetHeaderLength(header.IPv4MinimumSize)
		ip.SetTOS(tos)
		ip.SetTotalLength(uint16(encap + ipLen))
		w.ipID++
		ip.SetID(w.ipID)
		var flags uint8
		if df {
			flags = ipv4DF
		}
		ip.SetFlagsFragmentOffset(flags, 0)
		ip.SetTTL(ttl)
		ip.SetProtocol(proto)
		ip.SetSourceAddress(nh.Src[12:16])
		ip.SetDestinationAddress(dest.Addr[12:16])
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
	} else {
		binary.BigEndian.PutUint16(frame[l3-2:], header.EtherTypeIPv6)
		ip := header.IPv6(frame[l3:])
		ip.SetVersionTrafficClassFlowLabel(tos, 0)
		ip.SetPayloadLength(uint16(encap - header.IPv6MinimumSize + ipLen))
		ip.SetNextHeader(proto)
		ip.SetHopLimit(ttl)
		ip.SetSourceAddress(nh.Src[:])
		ip.SetDestinationAddress(dest.Addr[:])
	}
	switch dest.TunType {
	case snapshot.TunGUE:
		w.encapGUE(frame[l3:], hdrLen, innerProto, m, dest)
	case snapshot.TunGRE:
		encapGRE(frame[l3+hdrLen:], m.Family, dest)
	}
	d.Link = nh.Link
	return 0, verdict.Tx
}

// encapGUE writes the UDP and GUE headers after the outer IP header of
// pkt (hdrLen bytes). With --tun-csum the UDP checksum is computed over
// the whole datagram; with --tun-nocsum (and --tun-remcsum, which only
// applies to packets with a partial checksum, and ours are complete) it
// is zero, as IPVS sends it over IPv4 and IPv6 alike.
func (w *Worker) encapGUE(pkt []byte, hdrLen int, innerProto uint8, m *packet.Meta, dest *snapshot.Dest) {
	seg := pkt[hdrLen:]
	udp := header.UDP(seg)
	udp.SetSourcePort(gueSportBase + uint16(uint64(ownerHash(&m.Src, m.SrcPort)^uint32(m.DstPort)<<7)*gueSportRange>>32))
	udp.SetDestinationPort(dest.TunPort)
	udp.SetLength(uint16(len(seg)))
	udp.SetChecksum(0)
	gue := seg[header.UDPMinimumSize:]
	gue[0], gue[1], gue[2], gue[3] = 0, innerProto, 0, 0
	if dest.TunFlags&snapshot.TunFlagCsum == 0 {
		return
	}
	var src, dst []byte
	if hdrLen == header.IPv4MinimumSize {
		ip := header.IPv4(pkt)
		src, dst = ip.SourceAddressSlice(), ip.DestinationAddressSlice()
	} else {
		ip := header.IPv6(pkt)
		src, dst = ip.SourceAddressSlice(), ip.DestinationAddressSlice()
	}
	sum := ^udp.CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoUDP, src, dst, uint16(len(seg))))
	if sum == 0 {
		sum = 0xffff
	}
	udp.SetChecksum(sum)
}

// greLen is the size of the GRE header IPVS sends to dest (gre_calc_hlen):
// 4 bytes, 8 with --tun-csum.
func greLen(dest *snapshot.Dest) int {
	if dest.TunFlags&snapshot.TunFlagCsum != 0 {
		return greCsumHeaderSize
	}
	return greHeaderSize
}

// encapGRE writes the GRE header at the start of seg, which holds the GRE
// header's room and then the inner packet of the given family. With
// --tun-csum the checksum covers the GRE header and the inner packet
// (RFC 2784 §2.5); --tun-nocsum and --tun-remcsum send none, as IPVS.
func encapGRE(seg []byte, family uint8, dest *snapshot.Dest) {
	et := uint16(header.EtherTypeIPv4)
	if family == 6 {
		et = header.EtherTypeIPv6
	}
	binary.BigEndian.PutUint16(seg[2:], et)
	if dest.TunFlags&snapshot.TunFlagCsum == 0 {
		binary.BigEndian.PutUint16(seg[0:], 0)
		return
	}
	binary.BigEndian.PutUint16(seg[0:], greFlagCsum)
	binary.BigEndian.PutUint32(seg[4:], 0)
	binary.BigEndian.PutUint16(seg[4:], ^checksum.Checksum(seg, 0))
}

// isMapped reports whether a is an IPv4-mapped address (::ffff:a.b.c.d).
func isMapped(a *[16]byte) bool {
	return a[10] == 0xff && a[11] == 0xff && a[0]|a[1]|a[2]|a[3]|a[4]|a[5]|a[6]|a[7]|a[8]|a[9] == 0
}
