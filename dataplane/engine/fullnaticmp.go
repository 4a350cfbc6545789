package engine

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/fullnat"
)

// ICMP errors about FULLNAT connections, translated both ways as DPVS's
// FULLNAT does, so that each end gets the error about the packet it sent:
//
//   - from the client's side (a router towards the client, or the client):
//     X → VIP quoting the reply VIP:vport → CIP:cport. The real server sent
//     that packet as RIP:rport → LIP:lport, so it gets LIP → RIP quoting
//     RIP:rport → LIP:lport, by the route to the real server.
//   - from the real server's side (the real server, or a router towards
//     it): X → LIP quoting LIP:lport → RIP:rport. The client sent that
//     packet as CIP:cport → VIP:vport, so it gets VIP → CIP quoting
//     CIP:cport → VIP:vport, by the connection's hop back to the client.
//
// Both outer addresses change because neither end can reach, or knows,
// the other's addresses. As for NAT (icmp.go), the quoted IPv4 header's
// checksum is updated, the ICMP checksum recomputed and the quoted
// transport checksum left alone; the state of the connection does not
// change. The XDP program steers errors addressed to a local address
// when they quote TCP or UDP from a port of the local range (steer.c).

// icmpInFullNAT forwards an error from the client's side about FULLNAT
// connection idx to its real server dest.
func (w *Worker) icmpInFullNAT(d *port.Desc, frame []byte, m *packet.Meta, q *quoted, idx int32, dest *snapshot.Dest) (int, verdict.Verdict) {
	nh := &dest.NextHop
	if !nh.Valid {
		return w.dropped(verdict.NoNextHop)
	}
	rec := w.ct.ReplyOf(idx)
	if rec == nil {
		return w.dropped(verdict.ICMPNoConnection) // its first packet never left
	}
	k := &rec.Key
	translateICMPFullNAT(frame, m, q, &k.Local, &k.Peer, &k.Peer, k.PeerPort, &k.Local, k.LocalPort)
	copy(frame[0:6], nh.DstMAC[:])
	copy(frame[6:12], nh.SrcMAC[:])
	d.Link = nh.Link
	return 0, verdict.Tx
}

// icmpOutFullNAT forwards an error addressed to a local address about the
// FULLNAT connection it quotes to that connection's client. Its owner is
// the worker whose slice holds the quoted source port, as for replies.
func (w *Worker) icmpOutFullNAT(d *port.Desc, frame []byte, m *packet.Meta, q *quoted, now int64, handedOff bool) (int, verdict.Verdict) {
	if q.src != m.Dst || (q.proto != protoTCP && q.proto != protoUDP) {
		return w.dropped(verdict.ICMPBadQuote) // not about a packet this local address sent
	}
	if !handedOff {
		if o := fullnat.Owner(q.sport, w.n); o != w.id {
			return o, verdict.Handoff
		}
	}
	rk := conntrack.ReplyKey{Peer: q.dst, PeerPort: q.dpt, Local: q.src, LocalPort: q.sport, Proto: q.proto}
	idx, ok := w.ct.LookupReply(&rk, now)
	if !ok {
		return w.dropped(verdict.ICMPNoConnection)
	}
	e := w.ct.At(idx)
	if e.LPort == 0 {
		return w.dropped(verdict.ICMPNoConnection) // a NAT connection of a client at the local address
	}
	dc := &w.dest[e.Dest]
	dc.outPkts.inc()
	dc.outBytes.add(uint64(m.IPLen))
	k := w.keyOf(idx)
	translateICMPFullNAT(frame, m, q, &k.Virtual, &k.Client, &k.Client, k.CPort, &k.Virtual, k.VPort)
	hop := &w.ct.ReplyOf(idx).Hop
	copy(frame[0:6], hop.DstMAC[:])
	copy(frame[6:12], hop.SrcMAC[:])
	d.Link = hop.Link
	w.answered(idx, e) // a one-packet connection's answer (onepacket.go)
	return 0, verdict.Tx
}

// translateICMPFullNAT rewrites an ICMP error to come from src and go to
// dst, quoting a packet from qsrc:qsport to qdst:qdport. All addresses are
// of the packet's family.
func translateICMPFullNAT(frame []byte, m *packet.Meta, q *quoted, src, dst, qsrc *[16]byte, qsport uint16, qdst *[16]byte, qdport uint16) {
	l3 := int(m.L3Off)
	end := l3 + int(m.IPLen)
	binary.BigEndian.PutUint16(frame[q.l4:], qsport)
	binary.BigEndian.PutUint16(frame[q.l4+2:], qdport)
	if m.Family == 4 {
		ip, qip := header.IPv4(frame[l3:]), header.IPv4(frame[q.l3:])
		ip.SetSourceAddressWithChecksumUpdate(src[12:16])
		ip.SetDestinationAddressWithChecksumUpdate(dst[12:16])
		qip.SetSourceAddressWithChecksumUpdate(qsrc[12:16])
		qip.SetDestinationAddressWithChecksumUpdate(qdst[12:16])
		ic := header.ICMPv4(frame[m.L4Off:end])
		ic.SetChecksum(0)
		ic.SetChecksum(^ic.CalculateChecksum())
		return
	}
	ip, qip := header.IPv6(frame[l3:]), header.IPv6(frame[q.l3:])
	ip.SetSourceAddress(src[:])
	ip.SetDestinationAddress(dst[:])
	qip.SetSourceAddress(qsrc[:])
	qip.SetDestinationAddress(qdst[:])
	ic := header.ICMPv6(frame[m.L4Off:end])
	ic.SetChecksum(0)
	ic.SetChecksum(^ic.CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoICMPv6,
		ip.SourceAddressSlice(), ip.DestinationAddressSlice(), uint16(len(ic)))))
}
