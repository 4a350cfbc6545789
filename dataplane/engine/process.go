package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

const (
	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132
)

// process is the per-packet path, a flat list of early returns. It returns
// the verdict and, for a handoff, the owning worker. Drops are counted here.
func (w *Worker) process(d *port.Desc, now int64, handedOff bool) (int, verdict.Verdict) {
	frame := w.buf[d.Addr : d.Addr+uint64(d.Len)]
	w.frame = frame // for the persistence engine (pesip.go)
	// The key's hash, if the prefetch pass computed it (prefetch.go).
	var h uint64
	hashed := false
	if !handedOff {
		h, hashed = w.prefetched(d)
	}
	var m packet.Meta
	if r := packet.Parse(frame, &m); r != verdict.None {
		return w.dropped(r)
	}
	if isICMP(&m) {
		return w.processICMP(d, frame, &m, now, handedOff)
	}
	if m.Proto != protoTCP && m.Proto != protoUDP && m.Proto != protoSCTP {
		return w.dropped(verdict.UnsupportedProto)
	}
	svc := w.lookupService(&m)
	if svc == nil {
		if w.snap.LookupLocalAddr(&m.Dst) != nil {
			return w.processFullNATReply(d, frame, &m, now, handedOff)
		}
		return w.processReply(d, frame, &m, now, handedOff)
	}
	if !handedOff {
		if o := w.ownerOf(svc, &m.Src, m.SrcPort); o != w.id {
			return o, verdict.Handoff
		}
	}
	key := conntrack.Key{Client: m.Src, Virtual: m.Dst, CPort: m.SrcPort, VPort: m.DstPort, Proto: m.Proto}
	var idx int32
	var ok bool
	if hashed {
		idx, ok = w.ct.LookupHash(&key, h, now)
	} else {
		idx, ok = w.ct.Lookup(&key, now)
	}
	if ok && w.ct.At(idx).Flags&conntrack.FlagTemplate != 0 {
		// Client port 0 to a persistent service: the key is its template's.
		return w.dropped(verdict.SrcPortZero)
	}
	if ok && !w.keepConn(idx, &m, now) { // conn_reuse_mode, expire_nodest_conn (reuse.go)
		ok = false
	}
	if !ok {
		var r verdict.DropReason
		if idx, r = w.newConn(svc, &key, &m, now); r != verdict.None {
			return w.dropped(r)
		}
	}
	e := w.ct.At(idx)
	dest := &w.snap.Dests[e.Dest]
	if !dest.Available {
		// expire_nodest_conn=0 (keepConn): drop silently, leave the timer running.
		return w.dropped(verdict.DestUnavailable)
	}
	w.track(idx, e, &m, dest.Method, now)
	w.syncPacket(idx, e, dest)
	dc := &w.dest[e.Dest]
	dc.inPkts.inc()
	dc.inBytes.add(uint64(m.IPLen))
	sc := &w.svc[dest.Service]
	sc.inPkts.inc()
	sc.inBytes.add(uint64(m.IPLen))
	if e.LPort != 0 { // FULLNAT for its whole life (fullnat.go)
		return w.xmitFullNAT(d, frame, &m, idx, e, dest, now)
	}
	switch dest.Method {
	case snapshot.MethodRoute:
		return w.xmitDR(d, frame, dest)
	case snapshot.MethodMasq:
		return w.xmitNAT(d, frame, &m, idx, dest, now)
	case snapshot.MethodTunnel:
		return w.xmitTunnel(d, frame, &m, dest)
	case snapshot.MethodFullNAT:
		return w.xmitFullNAT(d, frame, &m, idx, e, dest, now)
	case snapshot.MethodLocal:
		return w.xmitLocal(frame)
	default:
		return w.dropped(verdict.Unsupported)
	}
}

// newConn schedules a destination for a flow without a connection and
// inserts the connection. TCP flows are scheduled only on a SYN without
// RST, as IPVS does with sloppy_tcp=0, SCTP ones only on an INIT (sctp.go).
func (w *Worker) newConn(svc *snapshot.Service, key *conntrack.Key, m *packet.Meta, now int64) (int32, verdict.DropReason) {
	if m.Proto == protoTCP && (m.TCPFlags&packet.TCPSyn == 0 || m.TCPFlags&packet.TCPRst != 0) {
		return 0, verdict.NotSyn
	}
	if m.Proto == protoSCTP && !sctpStartsConn(m) {
		return 0, verdict.SCTPNotInit
	}
	slot, ti := uint32(0), int32(-1)
	if svc.Flags&snapshot.SvcPersistent != 0 {
		var r verdict.DropReason
		if slot, ti, r = w.schedPersist(svc, m, now); r != verdict.None {
			return 0, r
		}
	} else {
		var ok bool
		if slot, ok = w.pick(svc, m); !ok {
			return 0, verdict.NoDest
		}
	}
	var lslot uint32
	var lport uint16
	if w.snap.Dests[slot].Method == snapshot.MethodFullNAT {
		var r verdict.DropReason
		if lslot, lport, r = w.takeLocalPort(svc, m); r != verdict.None {
			return 0, r
		}
	}
	idx, reclaimed, ok := w.ct.InsertReclaim(key, now, &w.reclaimed)
	if reclaimed {
		w.release(&w.reclaimed.Key, &w.reclaimed.Entry, now)
		w.c.connsExpired.inc()
	}
	if !ok {
		if lport != 0 {
			w.releasePort(lslot, m.Proto, lport)
		}
		return 0, verdict.ConnTableFull
	}
	e := w.ct.At(idx) // zero but for its key: no sync count, no link
	e.Dest = slot
	e.Service = uint16(svc.ID)
	e.State = conntrack.StateNone
	if m.Proto == protoUDP {
		e.State = conntrack.StateUDP
	}
	if lport != 0 {
		w.bindLocalPort(idx, e, lslot, lport)
	}
	if svc.Flags&snapshot.SvcOnePacket != 0 && m.Proto == protoUDP {
		w.ops = idx // released once forwarded (Worker.handle)
		ti = -1     // and never holds its template
	}
	w.linkConn(idx, e, ti)
	w.c.states[e.State].inc()
	w.bindConn(slot, false, +1)
	w.dest[slot].conns.inc()
	w.svc[svc.ID].conns.inc()
	w.c.connsCreated.inc()
	return idx, verdict.None
}

// track advances the connection's state with this inbound packet and
// re-arms its timer. NAT connections see their replies (IPVS's input
// table); DR and TUN ones do not (input-only).
func (w *Worker) track(idx int32, e *conntrack.Entry, m *packet.Meta, method snapshot.Method, now int64) {
	ns := e.State
	if m.Proto == protoTCP {
		dir := conntrack.DirInputOnly
		if method == snapshot.MethodMasq || e.LPort != 0 {
			dir = conntrack.DirInput
		}
		ns = conntrack.TCPNext(e.State, dir, m.TCPFlags)
	}
	if m.Proto == protoSCTP {
		dir := conntrack.DirInputOnly
		if method == snapshot.MethodMasq {
			dir = conntrack.DirInput
		}
		ns = sctpNext(e.State, dir, m)
	}
	w.setState(idx, e, ns, now)
}

// keyOf returns the key of entry idx, in the worker's scratch key: valid
// until the next keyOf.
func (w *Worker) keyOf(idx int32) *conntrack.Key {
	w.ct.KeyOf(idx, &w.ek)
	return &w.ek
}

func (w *Worker) dropped(r verdict.DropReason) (int, verdict.Verdict) {
	w.c.drops[r].inc()
	return 0, verdict.Drop
}
