package engine

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// quoted is the packet an ICMP error quotes, as far as the fast path reads
// it: its offsets in the frame, addresses, protocol and ports.
type quoted struct {
	l3, l4     int // offsets of the quoted IP and transport headers
	proto      uint8
	src, dst   [16]byte
	sport, dpt uint16
}

// isICMP reports whether the parsed packet is ICMP of its IP version.
func isICMP(m *packet.Meta) bool {
	return (m.Family == 4 && m.Proto == header.IPProtoICMPv4) || (m.Family == 6 && m.Proto == header.IPProtoICMPv6)
}

// isForwardedError reports whether an ICMP message is one of the errors
// that concern a connection and are forwarded, as IPVS's ip_vs_in_icmp
// and ip_vs_out_icmp take them: destination unreachable (fragmentation
// needed included), source quench and time exceeded; ICMPv6 destination
// unreachable, packet too big and time exceeded.
func isForwardedError(m *packet.Meta) bool {
	if m.Family == 4 {
		return m.ICMPType == header.ICMPv4DstUnreachable || m.ICMPType == header.ICMPv4SrcQuench ||
			m.ICMPType == header.ICMPv4TimeExceeded
	}
	return m.ICMPType == header.ICMPv6DstUnreachable || m.ICMPType == header.ICMPv6PacketTooBig ||
		m.ICMPType == header.ICMPv6TimeExceeded
}

// processICMP forwards an ICMP error about a tracked connection. An error
// that quotes a packet from a service (VIP:vport → client) came from the
// client's side and goes to the connection's real server, translated for
// NAT (ip_vs_in_icmp); one that quotes a packet to a NAT real server
// (client → RIP:rport) came from the real server's side and goes to the
// client, translated back (ip_vs_out_icmp). Errors about FULLNAT
// connections take both ways too (fullnaticmp.go); those from the real
// server's side are addressed to a local address. Other ICMP messages reach
// userspace only by mistake (echo requests to a VIP stay with the
// kernel) and are dropped, counted.
func (w *Worker) processICMP(d *port.Desc, frame []byte, m *packet.Meta, now int64, handedOff bool) (int, verdict.Verdict) {
	if !isForwardedError(m) {
		return w.dropped(verdict.ICMPNotError)
	}
	var q quoted
	if !parseQuoted(frame, m, &q) {
		return w.dropped(verdict.ICMPBadQuote)
	}
	if w.snap.LookupLocalAddr(&m.Dst) != nil {
		return w.icmpOutFullNAT(d, frame, m, &q, now, handedOff) // fullnaticmp.go
	}
	if svc := w.snap.Lookup(q.proto, &q.src, q.sport); svc != nil {
		return w.icmpIn(d, frame, m, &q, svc, now, handedOff)
	}
	if nd := w.snap.LookupNATDest(q.proto, &q.dst, q.dpt); nd != nil {
		return w.icmpOut(d, frame, m, &q, nd, now, handedOff)
	}
	return w.dropped(verdict.ICMPNoConnection)
}

// icmpIn forwards an error from the client's side to the real server of
// the connection it quotes.
func (w *Worker) icmpIn(d *port.Desc, frame []byte, m *packet.Meta, q *quoted, svc *snapshot.Service, now int64, handedOff bool) (int, verdict.Verdict) {
	if !handedOff {
		if o := w.ownerOf(svc, &q.dst, q.dpt); o != w.id {
			return o, verdict.Handoff
		}
	}
	key := conntrack.Key{Client: q.dst, Virtual: q.src, CPort: q.dpt, VPort: q.sport, Proto: q.proto}
	idx, ok := w.ct.Lookup(&key, now)
	if !ok || w.ct.At(idx).Flags&conntrack.FlagTemplate != 0 { // client port 0: a template's key
		return w.dropped(verdict.ICMPNoConnection)
	}
	e := w.ct.At(idx)
	dest := &w.snap.Dests[e.Dest]
	if !dest.Available {
		return w.dropped(verdict.DestUnavailable)
	}
	dc := &w.dest[e.Dest]
	dc.inPkts.inc()
	dc.inBytes.add(uint64(m.IPLen))
	if e.LPort != 0 {
		return w.icmpInFullNAT(d, frame, m, q, idx, dest) // fullnaticmp.go
	}
	switch dest.Method {
	case snapshot.MethodRoute:
		return w.xmitDR(d, frame, dest)
	case snapshot.MethodTunnel:
		return w.xmitTunnel(d, frame, m, dest)
	case snapshot.MethodLocal:
		return w.xmitLocal(frame)
	case snapshot.MethodMasq:
		nh := &dest.NextHop
		if !nh.Valid {
			return w.dropped(verdict.NoNextHop)
		}
		rport := dest.Port
		if rport == 0 {
			rport = q.sport
		}
		translateICMP(frame, m, q, false, &dest.Addr, rport)
		copy(frame[0:6], nh.DstMAC[:])
		copy(frame[6:12], nh.SrcMAC[:])
		d.Link = nh.Link
		return 0, verdict.Tx
	}
	return w.dropped(verdict.Unsupported)
}

// icmpOut forwards an error from a NAT real server's side to the client of
// the connection it quotes.
func (w *Worker) icmpOut(d *port.Desc, frame []byte, m *packet.Meta, q *quoted, nd *snapshot.Dest, now int64, handedOff bool) (int, verdict.Verdict) {
	if !handedOff {
		if o := w.ownerOf(&w.snap.Services[nd.Service], &q.src, q.sport); o != w.id {
			return o, verdict.Handoff
		}
	}
	rk := conntrack.ReplyKey{Peer: q.dst, PeerPort: q.dpt, Local: q.src, LocalPort: q.sport, Proto: q.proto}
	idx, ok := w.ct.LookupReply(&rk, now)
	if !ok {
		return w.dropped(verdict.ICMPNoConnection)
	}
	e := w.ct.At(idx)
	dc := &w.dest[e.Dest]
	dc.outPkts.inc()
	dc.outBytes.add(uint64(m.IPLen))
	k := w.keyOf(idx)
	translateICMP(frame, m, q, true, &k.Virtual, k.VPort)
	hop := &w.ct.ReplyOf(idx).Hop
	copy(frame[0:6], hop.DstMAC[:])
	copy(frame[6:12], hop.SrcMAC[:])
	d.Link = hop.Link
	return 0, verdict.Tx
}

// parseQuoted reads the packet quoted by the ICMP error of m: an IP header
// of the outer packet's version (IPv4 without options; IPv6 with the
// extension headers package header walks) and at least the 4 bytes of
// ports of a TCP, UDP or SCTP header. Errors quote at least 8 bytes of
// the transport header (RFC 792); anything shorter or stranger is a bad
// quote.
func parseQuoted(frame []byte, m *packet.Meta, q *quoted) bool {
	end := int(m.L3Off) + int(m.IPLen)
	q.l3 = int(m.L4Off) + header.ICMPv4MinimumSize
	if q.l3 > end {
		return false
	}
	b := frame[q.l3:end]
	if m.Family == 4 {
		if len(b) < header.IPv4MinimumSize || b[0] != 0x45 {
			return false
		}
		ip := header.IPv4(b)
		q.proto = ip.Protocol()
		q.src[10], q.src[11], q.dst[10], q.dst[11] = 0xff, 0xff, 0xff, 0xff
		copy(q.src[12:], ip.SourceAddressSlice())
		copy(q.dst[12:], ip.DestinationAddressSlice())
		q.l4 = q.l3 + header.IPv4MinimumSize
		if ip.FragmentOffset() != 0 {
			return false
		}
	} else {
		if len(b) < header.IPv6MinimumSize || b[0]>>4 != header.IPv6Version {
			return false
		}
		ip := header.IPv6(b)
		copy(q.src[:], ip.SourceAddressSlice())
		copy(q.dst[:], ip.DestinationAddressSlice())
		proto, off, st := header.SkipIPv6ExtHeaders(b[header.IPv6MinimumSize:], ip.NextHeader(), header.IPv6MaxExtHeaders)
		if st != header.ExtHeaderDone {
			return false
		}
		q.proto = proto
		q.l4 = q.l3 + header.IPv6MinimumSize + off
	}
	if q.proto != protoTCP && q.proto != protoUDP && q.proto != protoSCTP {
		return false
	}
	if q.l4+4 > end {
		return false
	}
	q.sport = binary.BigEndian.Uint16(frame[q.l4:])
	q.dpt = binary.BigEndian.Uint16(frame[q.l4+2:])
	return true
}

// translateICMP rewrites an ICMP error about a NAT connection as IPVS's
// ip_vs_nat_icmp does. Inbound (out=false) the outer destination and the
// quoted source become the real server (addr:port); outbound (out=true)
// the outer source and the quoted destination become the VIP. The quoted
// IPv4 header's checksum is updated and the ICMP checksum recomputed; the
// quoted transport checksum is left alone, as the kernel leaves it (the
// quote may be cut).
func translateICMP(frame []byte, m *packet.Meta, q *quoted, out bool, addr *[16]byte, port uint16) {
	l3 := int(m.L3Off)
	end := l3 + int(m.IPLen)
	portOff := q.l4 // the quoted source port: vport → rport
	if out {
		portOff += 2 // the quoted destination port: rport → vport
	}
	binary.BigEndian.PutUint16(frame[portOff:], port)
	if m.Family == 4 {
		ip, qip := header.IPv4(frame[l3:]), header.IPv4(frame[q.l3:])
		if out {
			ip.SetSourceAddressWithChecksumUpdate(addr[12:16])
			qip.SetDestinationAddressWithChecksumUpdate(addr[12:16])
		} else {
			ip.SetDestinationAddressWithChecksumUpdate(addr[12:16])
			qip.SetSourceAddressWithChecksumUpdate(addr[12:16])
		}
		ic := header.ICMPv4(frame[m.L4Off:end])
		ic.SetChecksum(0)
		ic.SetChecksum(^ic.CalculateChecksum())
		return
	}
	ip, qip := header.IPv6(frame[l3:]), header.IPv6(frame[q.l3:])
	if out {
		ip.SetSourceAddress(addr[:])
		qip.SetDestinationAddress(addr[:])
	} else {
		ip.SetDestinationAddress(addr[:])
		qip.SetSourceAddress(addr[:])
	}
	ic := header.ICMPv6(frame[m.L4Off:end])
	ic.SetChecksum(0)
	ic.SetChecksum(^ic.CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoICMPv6,
		ip.SourceAddressSlice(), ip.DestinationAddressSlice(), uint16(len(ic)))))
}
