package engine

import (
	"slices"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/sched"
)

// svcState is one worker's scheduler instance for one service. Each worker
// schedules with its own connection counts (ARCHITECTURE.md explains why).
type svcState struct {
	sched sched.Scheduler
	dests []sched.Dest
	slots []uint32 // dests[i] is destination slot slots[i]
	// limited: a destination has an upper threshold (-x), so pick
	// refreshes the overload flags from the engine's totals first.
	limited bool
}

// apply switches to snapshot s. A service whose scheduling inputs are
// unchanged keeps its scheduler instance, as IPVS touches a scheduler only
// when its own service or real servers change: republishing the same
// configuration (the control plane's periodic refresh, a next hop that
// changed) must not send rr and wrr back to the head of their lists. Other
// services' schedulers are rebuilt from the worker's current counts, as
// dpvs re-initialises schedulers on update.
func (w *Worker) apply(s *snapshot.Snapshot) {
	prev, prevSvcs := w.snap, w.svcs
	// The overload flag persists across updates, as the kernel keeps it
	// unless the thresholds change (sched.SetThresholds).
	for _, st := range w.svcs {
		for i, slot := range st.slots {
			w.destIdx[slot] = -1
			w.overloaded[slot] = st.dests[i].Flags&sched.FlagOverloaded != 0
			w.thresholds[slot] = [2]uint32{st.dests[i].UThreshold, st.dests[i].LThreshold}
		}
	}
	w.snap = s
	w.applyPE(s)
	if s == nil {
		w.svcs = nil
		return
	}
	w.applyFullNAT(s)
	w.svcs = make([]svcState, len(s.Services))
	for i := range s.Services {
		svc := &s.Services[i]
		if svc.Family == 0 {
			continue
		}
		st := &w.svcs[i]
		if i < len(prevSvcs) && prevSvcs[i].sched != nil && sameScheduling(prev, s, i) {
			*st = prevSvcs[i]
			for j, slot := range st.slots {
				w.destIdx[slot] = int32(j)
				w.overloaded[slot] = false // kept in st.dests[j].Flags
			}
			continue
		}
		for _, slot := range svc.Dests {
			d := &s.Dests[slot]
			if !d.Available {
				continue
			}
			sd := sched.Dest{
				Addr: d.Addr, Port: d.Port, Weight: d.Weight,
				Flags:       sched.FlagAvailable,
				LastWeight:  d.LastWeight,
				ActiveConns: uint32(w.dest[slot].active.load()),
				InactConns:  uint32(w.dest[slot].inactive.load()),
			}
			if w.overloaded[slot] {
				sd.Flags |= sched.FlagOverloaded
				sd.UThreshold, sd.LThreshold = w.thresholds[slot][0], w.thresholds[slot][1]
				w.overloaded[slot] = false
			}
			sched.SetThresholds(&sd, d.UThreshold, d.LThreshold)
			sched.UpdateOverloadTotal(&sd, w.total(slot))
			st.limited = st.limited || d.UThreshold != 0
			w.destIdx[slot] = int32(len(st.dests))
			st.dests = append(st.dests, sd)
			st.slots = append(st.slots, slot)
		}
		f, ok := sched.Lookup(svc.Sched)
		if !ok {
			f, _ = sched.Lookup("wlc")
		}
		st.sched = f(st.dests, sched.Flags(svc.SchedFlags))
	}
}

// sameScheduling reports whether service slot i schedules over the same
// inputs in snapshots a and b: scheduler, flags, and the same available
// destinations in the same order with the same addresses, weights and
// thresholds. Next hops do not matter.
func sameScheduling(a, b *snapshot.Snapshot, i int) bool {
	if a == nil || i >= len(a.Services) {
		return false
	}
	sa, sb := &a.Services[i], &b.Services[i]
	if sa.Family == 0 || sa.ID != sb.ID || sa.Sched != sb.Sched || sa.SchedFlags != sb.SchedFlags ||
		!slices.Equal(sa.Dests, sb.Dests) {
		return false
	}
	for _, slot := range sb.Dests {
		if int(slot) >= len(a.Dests) {
			return false
		}
		da, db := &a.Dests[slot], &b.Dests[slot]
		if da.Available != db.Available || da.Addr != db.Addr || da.Port != db.Port ||
			da.Weight != db.Weight || da.LastWeight != db.LastWeight || da.UThreshold != db.UThreshold || da.LThreshold != db.LThreshold {
			return false
		}
	}
	return true
}

// pick schedules a new connection of service svc; it returns a destination
// slot or false.
func (w *Worker) pick(svc *snapshot.Service, m *packet.Meta) (uint32, bool) {
	st := &w.svcs[svc.ID]
	if st.sched == nil || len(st.dests) == 0 {
		return 0, false
	}
	// The key lives in the worker: a local would escape to the heap
	// through the interface call.
	if st.limited {
		w.refreshOverload(st)
	}
	k := &w.schedKey
	*k = sched.Key{Src: m.Src, Dst: m.Dst, SrcPort: m.SrcPort, DstPort: m.DstPort, Proto: m.Proto}
	i := st.sched.Pick(st.dests, k)
	if i < 0 {
		return 0, false
	}
	return st.slots[i], true
}

// countConn adds delta to the active or inactive count of destination slot
// and mirrors it into the scheduler's view.
func (w *Worker) countConn(slot uint32, active bool, delta int) {
	dc := &w.dest[slot]
	c := &dc.inactive
	if active {
		c = &dc.active
	}
	c.set(uint64(int64(c.load()) + int64(delta)))
	i := w.destIdx[slot]
	if i < 0 {
		return
	}
	sd := &w.svcs[w.snap.Dests[slot].Service].dests[i]
	sd.ActiveConns = uint32(dc.active.load())
	sd.InactConns = uint32(dc.inactive.load())
	sched.UpdateOverloadTotal(sd, w.total(slot))
}

// setState moves connection e to state ns, keeping the destination's
// active/inactive counts and the worker's per-state counts in step, and
// re-arms its timer.
func (w *Worker) setState(idx int32, e *conntrack.Entry, ns conntrack.State, now int64) {
	if ns != e.State {
		w.c.states[e.State].dec()
		w.c.states[ns].inc()
		if was, is := e.State.Active(), ns.Active(); was != is {
			w.countConn(e.Dest, was, -1)
			w.countConn(e.Dest, is, +1)
		}
		e.State = ns
	}
	w.ct.Touch(idx, now, w.snap.Timeouts[ns])
	w.holdTemplate(idx, e, now)
}

// expire reclaims a slice of budget slots of the connection table.
func (w *Worker) expire(now int64, budget int) {
	n := w.ct.ExpireInto(now, budget, w.expired[:])
	for i := 0; i < n; i++ {
		w.release(&w.expired[i].Key, &w.expired[i].Entry, now)
	}
	if n > 0 {
		w.c.connsExpired.add(uint64(n))
	}
	w.c.conns.set(uint64(w.ct.Len()))
}
