package sched

func init() {
	Register("lc", NewLC)
	Register("wlc", NewWLC)
	Register("sed", NewSED)
	Register("nq", NewNQ)
}

// The least-connection family is stateless: each Pick scans the list once.
// Loads are compared as the kernel does, a/aw > b/bw as a*bw > b*aw
// (see [heavier]), with a strict comparison so that the earliest of equally
// loaded destinations wins.

// leastConn is ip_vs_lc.c: the least (active<<8)+inactive, weights only
// decide quiescence.
type leastConn struct{}

// NewLC returns the least-connection scheduler ("lc"). It ignores flags.
func NewLC(_ []Dest, _ Flags) Scheduler { return leastConn{} }

// Pick implements [Scheduler].
func (leastConn) Pick(dests []Dest, _ *Key) int {
	least := -1
	var loh uint64
	for i := range dests {
		d := &dests[i]
		if !d.usable() {
			continue
		}
		if doh := connOverhead(d); least < 0 || doh < loh {
			least, loh = i, doh
		}
	}
	return least
}

// weightedLeastConn is ip_vs_wlc.c: the least ((active<<8)+inactive)/weight.
type weightedLeastConn struct{}

// NewWLC returns the weighted least-connection scheduler ("wlc"), IPVS's
// default. It ignores flags.
func NewWLC(_ []Dest, _ Flags) Scheduler { return weightedLeastConn{} }

// Pick implements [Scheduler]. The kernel takes the first destination that
// is neither overloaded nor quiesced, then replaces it with any later one
// whose load is strictly lower; a later weight-0 destination can never be
// strictly lower (0 > x is false), so skipping it here changes nothing.
func (weightedLeastConn) Pick(dests []Dest, _ *Key) int {
	return leastWeighted(dests, false)
}

// leastWeighted returns the usable destination with the least load/weight,
// the first of equally loaded ones, or -1 if none is usable. The load is
// wlc's connection overhead, or with delay sed's and nq's expected delay
// (active+1, the connections a destination would have with the new one).
// A flag rather than a function value: an indirect call per destination
// made the pick 20-80 % slower (BenchmarkPick).
func leastWeighted(dests []Dest, delay bool) int {
	least := -1
	var loh uint64
	var lw int32
	for i := range dests {
		d := &dests[i]
		if !d.usable() {
			continue
		}
		doh := uint64(d.ActiveConns) + 1
		if !delay {
			doh = connOverhead(d)
		}
		if least < 0 || heavier(loh, lw, doh, d.Weight) {
			least, loh, lw = i, doh, d.Weight
		}
	}
	return least
}

// shortestDelay is ip_vs_sed.c: the least (active+1)/weight, the expected
// delay of the new connection. Inactive connections are not counted.
type shortestDelay struct{}

// NewSED returns the shortest expected delay scheduler ("sed"). It ignores
// flags.
func NewSED(_ []Dest, _ Flags) Scheduler { return shortestDelay{} }

// Pick implements [Scheduler].
func (shortestDelay) Pick(dests []Dest, _ *Key) int {
	return leastWeighted(dests, true)
}

// neverQueue is ip_vs_nq.c: the first idle destination (no active
// connections) if there is one, otherwise the shortest expected delay.
type neverQueue struct{}

// NewNQ returns the never-queue scheduler ("nq"). It ignores flags.
func NewNQ(_ []Dest, _ Flags) Scheduler { return neverQueue{} }

// Pick implements [Scheduler].
func (neverQueue) Pick(dests []Dest, _ *Key) int {
	for i := range dests {
		if d := &dests[i]; d.usable() && d.ActiveConns == 0 {
			return i
		}
	}
	return leastWeighted(dests, true)
}
