package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// xmitNAT forwards a client's packet to a NAT real server (IPVS
// ip_vs_nat_xmit): the destination VIP:vport becomes RIP:rport (rport is
// the real server's port, or the client's port for a port-0 real server),
// with incremental checksum updates, and the frame leaves by the route to
// the real server. The first packet gives the connection its reply key
// (RIP:rport → client:cport); every packet refreshes the hop back to the
// client: the link the packet came in by and the MAC it came from
// (ARCHITECTURE.md says why).
func (w *Worker) xmitNAT(d *port.Desc, frame []byte, m *packet.Meta, idx int32, dest *snapshot.Dest, now int64) (int, verdict.Verdict) {
	nh := &dest.NextHop
	if !nh.Valid {
		return w.dropped(verdict.NoNextHop)
	}
	rport := dest.Port
	if rport == 0 {
		rport = m.DstPort
	}
	if r := w.bindReply(idx, &dest.Addr, rport, &m.Src, m.SrcPort, m.Proto, d, frame, now); r != verdict.None {
		return w.dropped(r)
	}
	rewriteDst(frame, m, &dest.Addr, rport)
	copy(frame[0:6], nh.DstMAC[:])
	copy(frame[6:12], nh.SrcMAC[:])
	d.Link = nh.Link
	return 0, verdict.Tx
}

// bindReply gives connection idx, on its first packet, the reply key
// peer:peerPort → local:localPort (NAT: the client's endpoint; FULLNAT: the
// local address and port) and, on every packet, refreshes the hop back to
// the sender of frame. It returns why the connection cannot be bound: the
// reply pool is full, or another connection holds the reply tuple.
func (w *Worker) bindReply(idx int32, peer *[16]byte, peerPort uint16, local *[16]byte, localPort uint16, proto uint8,
	d *port.Desc, frame []byte, now int64) verdict.DropReason {
	rec := w.ct.ReplyOf(idx)
	if rec != nil {
		if rec.Hop.Link != d.Link || [6]byte(frame[6:12]) != rec.Hop.DstMAC || [6]byte(frame[0:6]) != rec.Hop.SrcMAC {
			hopFromFrame(&rec.Hop, d, frame)
		}
		return verdict.None
	}
	if w.ct.ReplyLen() >= w.ct.ReplyCap() {
		return verdict.ReplyTableFull
	}
	rk := conntrack.ReplyKey{Peer: *peer, PeerPort: peerPort, Local: *local, LocalPort: localPort, Proto: proto}
	var hop conntrack.Hop
	hopFromFrame(&hop, d, frame)
	if !w.ct.SetReply(idx, &rk, &hop, now) {
		return verdict.ReplyTupleInUse
	}
	return verdict.None
}

// hopFromFrame records how to answer the sender of frame: back by its link,
// to the MAC it came from, from the MAC it was sent to.
func hopFromFrame(h *conntrack.Hop, d *port.Desc, frame []byte) {
	h.Link = d.Link
	copy(h.DstMAC[:], frame[6:12])
	copy(h.SrcMAC[:], frame[0:6])
}

// processReply handles a packet that matched no service: a reply from a
// NAT real server if its source is one (IPVS ip_vs_out / handle_response).
// It hands the reply to the connection's owner, finds the connection by
// its reply key, advances its state in the output direction, rewrites the
// source RIP:rport back to VIP:vport and sends the frame towards the
// client by the connection's hop.
func (w *Worker) processReply(d *port.Desc, frame []byte, m *packet.Meta, now int64, handedOff bool) (int, verdict.Verdict) {
	nd := w.snap.LookupNATDest(m.Proto, &m.Src, m.SrcPort)
	if nd == nil {
		return w.dropped(verdict.NoService)
	}
	if !handedOff {
		if o := w.ownerOf(&w.snap.Services[nd.Service], &m.Dst, m.DstPort); o != w.id {
			return o, verdict.Handoff
		}
	}
	rk := conntrack.ReplyKey{Peer: m.Src, PeerPort: m.SrcPort, Local: m.Dst, LocalPort: m.DstPort, Proto: m.Proto}
	idx, ok := w.ct.LookupReply(&rk, now)
	if !ok {
		return w.dropped(verdict.NoConnection)
	}
	e := w.ct.At(idx)
	if !w.snap.Dests[e.Dest].Available {
		return w.dropped(verdict.DestUnavailable)
	}
	ns := e.State
	if m.Proto == protoTCP {
		ns = conntrack.TCPNext(e.State, conntrack.DirOutput, m.TCPFlags)
	}
	if m.Proto == protoSCTP {
		ns = sctpNext(e.State, conntrack.DirOutput, m)
	}
	w.setState(idx, e, ns, now)
	dc := &w.dest[e.Dest]
	dc.outPkts.inc()
	dc.outBytes.add(uint64(m.IPLen))
	k := w.keyOf(idx)
	rewriteSrc(frame, m, &k.Virtual, k.VPort)
	hop := &w.ct.ReplyOf(idx).Hop
	copy(frame[0:6], hop.DstMAC[:])
	copy(frame[6:12], hop.SrcMAC[:])
	d.Link = hop.Link
	return 0, verdict.Tx
}

// rewriteDst sets the destination address and port of the parsed packet,
// updating the IPv4 header checksum and the transport checksum
// incrementally (RFC 1624), or SCTP's CRC32c (sctp.go).
func rewriteDst(frame []byte, m *packet.Meta, addr *[16]byte, port uint16) {
	rewrite(frame, m, false, addr, port)
}

// rewriteSrc is rewriteDst for the source address and port.
func rewriteSrc(frame []byte, m *packet.Meta, addr *[16]byte, port uint16) {
	rewrite(frame, m, true, addr, port)
}

// rewrite is the one function every NAT rewrite goes through, in the
// shape of gVisor's UpdateHeaders: the transport checksum first (it
// covers the pseudo-header's old address), then the IP header.
func rewrite(frame []byte, m *packet.Meta, src bool, addr *[16]byte, port uint16) {
	l3, l4, end := int(m.L3Off), int(m.L4Off), int(m.L3Off)+int(m.IPLen)
	var old, nw []byte
	if m.Family == 4 {
		ip := header.IPv4(frame[l3:])
		old, nw = ip.DestinationAddressSlice(), addr[12:16]
		if src {
			old = ip.SourceAddressSlice()
		}
	} else {
		ip := header.IPv6(frame[l3:])
		old, nw = ip.DestinationAddressSlice(), addr[:]
		if src {
			old = ip.SourceAddressSlice()
		}
	}
	seg := frame[l4:end]
	switch m.Proto {
	case protoTCP:
		tcp := header.TCP(seg)
		tcp.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		if src {
			tcp.SetSourcePortWithChecksumUpdate(port)
		} else {
			tcp.SetDestinationPortWithChecksumUpdate(port)
		}
	case protoUDP:
		udp := header.UDP(seg)
		udp.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		if src {
			udp.SetSourcePortWithChecksumUpdate(port)
		} else {
			udp.SetDestinationPortWithChecksumUpdate(port)
		}
	case protoSCTP:
		rewriteSCTPPort(seg, src, port)
	}
	if m.Family == 4 {
		ip := header.IPv4(frame[l3:])
		if src {
			ip.SetSourceAddressWithChecksumUpdate(nw)
		} else {
			ip.SetDestinationAddressWithChecksumUpdate(nw)
		}
	} else {
		copy(old, nw)
	}
}
