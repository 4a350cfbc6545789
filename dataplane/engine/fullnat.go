package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/fullnat"
)

// FULLNAT (DPVS's main mode): a client's packet CIP:cport → VIP:vport
// leaves as LIP:lport → RIP:rport, and the real server's reply RIP:rport →
// LIP:lport leaves as VIP:vport → CIP:cport. The real servers need no
// route to the clients and no VIP.
//
// The inbound owner (the client hash, owner.go) takes the local port from
// its own slice of the port range (fullnat.Pool: ports p with p mod N =
// its id), so the reply's owner is fullnat.Owner(lport, N), computed
// without a lookup, and both directions live on that worker. The port is
// held in the entry (Entry.LAddr, Entry.LPort) and given back whenever the
// entry leaves the table (release: the expiry sweep, a reclaim on a full
// table; releaseOnePacket, or for -o after the reply: onepacket.go).
// Templates never hold one.

// fnState is a worker's FULLNAT state.
type fnState struct {
	pool *fullnat.Pool
	// seq is the TOA / PROXY v2 state of each connection, by
	// connection-table index; zeroed when a connection takes the index.
	seq []fullnat.SeqState
	// rr is each service's round-robin position over its local addresses.
	rr []uint32
	// laddr counts, per local address slot, this worker's connections and
	// refused ones (model.LaddrStats).
	laddr []laddrCounters
	// addr is the address each slot had in the last snapshot: a slot
	// given to another address starts afresh.
	addr []snapshot.LocalAddr
	hdr  [fullnat.ProxyV2MaxSize]byte
	c    fnCounters
}

// laddrCounters are one worker's counters of one local address slot.
type laddrCounters struct {
	conns, conflicts counter
}

// fnCounters count what FULLNAT did that is not a drop.
type fnCounters struct {
	toaInserted, toaSkipped, proxyInserted, mssClamped counter
	portsAllocated, portsReleased, badReleases         counter
}

// applyFullNAT notes the local addresses of a new snapshot: a slot that
// now holds another address (the model reuses a slot once no connection
// uses it) starts with every port free and its counters at zero.
func (w *Worker) applyFullNAT(s *snapshot.Snapshot) {
	for i := range s.LocalAddrs {
		a := &s.LocalAddrs[i]
		if a.Family == 0 {
			continue
		}
		old := &w.fn.addr[i]
		if old.Family != a.Family || old.Addr != a.Addr {
			if w.fn.laddr[i].conns.load() == 0 {
				w.fn.pool.Reset(uint32(i))
				w.fn.laddr[i].conflicts.set(0)
			}
			*old = *a
		}
	}
}

// takeLocalPort chooses the local address and port of a new connection
// of svc to a FULLNAT real server: round robin over the service's
// available local addresses, from this worker's slice. When every one is
// out of ports the connection is refused (nothing is inserted), so the
// client's retransmitted SYN or next datagram tries again and works once
// ports are free.
func (w *Worker) takeLocalPort(svc *snapshot.Service, m *packet.Meta) (uint32, uint16, verdict.DropReason) {
	if m.Proto != protoTCP && m.Proto != protoUDP {
		return 0, 0, verdict.Unsupported // ports exist for TCP and UDP
	}
	laddrs := svc.FullNAT.Laddrs
	slot, lport, ok := w.fn.pool.Pick(laddrs, m.Proto, &w.fn.rr[svc.ID])
	for _, a := range laddrs {
		w.fn.laddr[a].conflicts.set(w.fn.pool.Exhausted(a))
	}
	if ok && (int(slot) >= len(w.snap.LocalAddrs) || w.snap.LocalAddrs[slot].Family != m.Family) {
		w.fn.pool.Release(slot, m.Proto, lport) // the model keeps families apart: unreachable
		ok = false
	}
	if !ok {
		return 0, 0, verdict.NoLocalPort
	}
	w.fn.laddr[slot].conns.inc()
	w.fn.c.portsAllocated.inc()
	return slot, lport, verdict.None
}

// bindLocalPort gives new connection idx the local port takeLocalPort
// chose.
func (w *Worker) bindLocalPort(idx int32, e *conntrack.Entry, slot uint32, lport uint16) {
	e.LAddr, e.LPort = uint16(slot), lport
	w.fn.seq[idx] = fullnat.SeqState{}
}

// xmitFullNAT forwards a client's packet to a FULLNAT real server (DPVS
// dp_vs_xmit_fnat): the first packet gives the connection its reply key
// (RIP:rport → LIP:lport); every packet refreshes the hop back to the
// client, gets the client's address for the real server (TOA or PROXY v2,
// per service) and leaves as LIP:lport → RIP:rport by the route to the
// real server.
func (w *Worker) xmitFullNAT(d *port.Desc, frame []byte, m *packet.Meta, idx int32, e *conntrack.Entry, dest *snapshot.Dest, now int64) (int, verdict.Verdict) {
	if e.LPort == 0 {
		// Made with another method before its real server was edited.
		return w.dropped(verdict.Unsupported)
	}
	nh := &dest.NextHop
	if !nh.Valid {
		return w.dropped(verdict.NoNextHop)
	}
	svc := &w.snap.Services[e.Service]
	la := &w.snap.LocalAddrs[e.LAddr]
	rport := dest.Port
	if rport == 0 {
		rport = m.DstPort
	}
	if r := w.bindReply(idx, &dest.Addr, rport, &la.Addr, e.LPort, m.Proto, d, frame, now); r != verdict.None {
		return w.dropped(r)
	}
	n := int(d.Len)
	if svc.FullNAT.ClientAddr != snapshot.ClientAddrNone {
		var r verdict.DropReason
		if n, r = w.clientAddrIn(d, m, idx, e, svc, int(nh.MTU)); r != verdict.None {
			return w.dropped(r)
		}
		frame = w.buf[d.Addr : d.Addr+uint64(n)]
	}
	rewriteSrc(frame, m, &la.Addr, e.LPort)
	rewriteDst(frame, m, &dest.Addr, rport)
	copy(frame[0:6], nh.DstMAC[:])
	copy(frame[6:12], nh.SrcMAC[:])
	d.Len = uint32(n)
	d.Link = nh.Link
	return 0, verdict.Tx
}

// releasePort gives local port lport of local address slot laddr back to
// the pool of protocol proto.
func (w *Worker) releasePort(laddr uint32, proto uint8, lport uint16) {
	if w.fn.pool.Release(laddr, proto, lport) {
		w.fn.c.portsReleased.inc()
		c := &w.fn.laddr[laddr].conns
		c.set(c.load() - 1)
	} else {
		w.fn.c.badReleases.inc()
	}
}

// clientAddrIn gives the real server the client's address as the service
// asks: a TOA option at the start of a TCP stream, a PROXY v2 header in
// front of it (TCP) or of every datagram (UDP). The MSS of the SYN is
// lowered by what is added. It returns the frame's new length.
func (w *Worker) clientAddrIn(d *port.Desc, m *packet.Meta, idx int32, e *conntrack.Entry, svc *snapshot.Service, mtu int) (int, verdict.DropReason) {
	fs := uint64(w.port.FrameSize())
	room := w.buf[d.Addr : d.Addr-d.Addr%fs+fs]
	n := int(d.Len)
	st := &w.fn.seq[idx]
	if svc.FullNAT.ClientAddr == snapshot.ClientAddrTOA {
		if m.Proto != protoTCP {
			return n, verdict.None
		}
		w.clampMSS(room, n, m, uint16(fullnat.TOASize(m.Family)))
		k := w.keyOf(idx)
		got, r := fullnat.TOAInbound(room, n, m, st, m.Family, &k.Client, k.CPort, mtu)
		switch r {
		case fullnat.Done:
			w.fn.c.toaInserted.inc()
		case fullnat.NotApplicable:
		default:
			w.fn.c.toaSkipped.inc()
		}
		return got, verdict.None
	}
	ck := w.keyOf(idx)
	h := fullnat.ProxyV2{Proto: m.Proto, Family: m.Family, Src: ck.Client, Dst: ck.Virtual, SrcPort: ck.CPort, DstPort: ck.VPort}
	k := fullnat.EncodeProxyV2(w.fn.hdr[:], &h)
	if m.Proto == protoUDP {
		got, r := fullnat.InsertProxyV2UDP(room, n, m, w.fn.hdr[:k], mtu)
		if r != fullnat.Done {
			return n, verdict.ProxyNoRoom
		}
		w.fn.c.proxyInserted.inc()
		return got, verdict.None
	}
	w.clampMSS(room, n, m, uint16(k))
	inserted := st.Inserted()
	got, r := fullnat.ProxyInbound(room, n, m, st, w.fn.hdr[:k], mtu)
	switch r {
	case fullnat.Done:
		if !inserted && st.Inserted() {
			w.fn.c.proxyInserted.inc()
		}
		return got, verdict.None
	case fullnat.OutOfOrder, fullnat.NotApplicable:
		return n, verdict.ProxyOutOfOrder
	case fullnat.SynData:
		return n, verdict.ProxySynData
	}
	return n, verdict.ProxyNoRoom
}

// clampMSS lowers the MSS of a SYN or SYN-ACK by reduce, counted.
func (w *Worker) clampMSS(frame []byte, n int, m *packet.Meta, reduce uint16) {
	if m.TCPFlags&packet.TCPSyn != 0 && fullnat.ClampMSS(frame, n, m, reduce) == fullnat.Done {
		w.fn.c.mssClamped.inc()
	}
}

// processFullNATReply handles a packet to local address la: a real
// server's reply RIP:rport → LIP:lport. Its owner is the worker whose
// slice holds lport; the owner finds the connection by its reply key,
// advances its state in the output direction, undoes the PROXY v2 shift,
// rewrites it to VIP:vport → CIP:cport and sends it towards the client by
// the connection's hop.
func (w *Worker) processFullNATReply(d *port.Desc, frame []byte, m *packet.Meta, now int64, handedOff bool) (int, verdict.Verdict) {
	if m.Proto != protoTCP && m.Proto != protoUDP {
		return w.dropped(verdict.UnsupportedProto)
	}
	if !handedOff {
		if o := fullnat.Owner(m.DstPort, w.n); o != w.id {
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
		if mode := w.snap.Services[e.Service].FullNAT.ClientAddr; mode != snapshot.ClientAddrNone {
			n := int(d.Len)
			reduce := fullnat.TOASize(m.Family)
			if mode == snapshot.ClientAddrProxyV2 {
				reduce = fullnat.ProxyV2Size(m.Family)
			}
			w.clampMSS(frame, n, m, uint16(reduce))
			fullnat.AdjustOutbound(frame, n, m, &w.fn.seq[idx])
		}
	}
	w.setState(idx, e, ns, now)
	dc := &w.dest[e.Dest]
	dc.outPkts.inc()
	dc.outBytes.add(uint64(m.IPLen))
	sc := &w.svc[e.Service]
	sc.outPkts.inc()
	sc.outBytes.add(uint64(m.IPLen))
	k := w.keyOf(idx)
	rewriteSrc(frame, m, &k.Virtual, k.VPort)
	rewriteDst(frame, m, &k.Client, k.CPort)
	hop := &w.ct.ReplyOf(idx).Hop
	copy(frame[0:6], hop.DstMAC[:])
	copy(frame[6:12], hop.SrcMAC[:])
	d.Link = hop.Link
	w.answered(idx, e) // a one-packet connection's reply (onepacket.go)
	return 0, verdict.Tx
}
