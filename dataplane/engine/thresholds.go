package engine

import (
	"sync/atomic"

	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/sched"
)

// Connection thresholds over all workers.
//
// Each worker schedules with its own connection counts (balance_test.go
// shows the counting schedulers still balance), but ipvsadm's -x and -y
// bound a real server's connections as a whole, as the kernel's single
// ip_vs_dest does. The engine therefore keeps one shared total per
// destination slot, active plus inactive connections over every worker,
// changed only when a worker binds or unbinds a connection (never per
// packet, never on a state change that keeps the connection), and a
// worker re-evaluates the overload flag of its service's thresholded
// destinations from these totals before it schedules. Two workers that
// pick the same server at its last free connection at the same moment
// can overshoot the threshold by one connection each; the kernel, whose
// flag is updated after the bind, has the same window across CPUs.

// destTotals is the engine's per-destination-slot connection totals.
type destTotals []atomic.Int64

func newDestTotals() destTotals { return make(destTotals, snapshot.MaxDests) }

// bindConn counts a connection bound to (delta +1) or unbound from
// (delta -1) destination slot in its active or inactive state: in the
// shared total and in the worker's own counts.
func (w *Worker) bindConn(slot uint32, active bool, delta int) {
	if int(slot) < len(w.totals) {
		w.totals[slot].Add(int64(delta))
	}
	w.countConn(slot, active, delta)
}

// total returns destination slot's connections over all workers.
func (w *Worker) total(slot uint32) uint64 {
	if int(slot) >= len(w.totals) {
		return 0
	}
	return uint64(max(w.totals[slot].Load(), 0))
}

// refreshOverload re-evaluates the overload flags of service state st's
// thresholded destinations from the shared totals, so that connections
// other workers bound count against the thresholds too.
func (w *Worker) refreshOverload(st *svcState) {
	for i := range st.dests {
		if d := &st.dests[i]; d.UThreshold != 0 || d.Flags&sched.FlagOverloaded != 0 {
			sched.UpdateOverloadTotal(d, w.total(st.slots[i]))
		}
	}
}
