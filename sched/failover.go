package sched

func init() {
	Register("fo", NewFO)
	Register("ovf", NewOVF)
}

// weightedFailover is ip_vs_fo.c: the destination with the highest weight
// that is not overloaded; the earliest wins a tie.
type weightedFailover struct{}

// NewFO returns the weighted failover scheduler ("fo"). It ignores flags.
func NewFO(_ []Dest, _ Flags) Scheduler { return weightedFailover{} }

// Pick implements [Scheduler].
func (weightedFailover) Pick(dests []Dest, _ *Key) int {
	best, hw := -1, int32(0)
	for i := range dests {
		d := &dests[i]
		if d.candidate() && d.Weight > hw {
			best, hw = i, d.Weight
		}
	}
	return best
}

// overflow is ip_vs_ovf.c: the destination with the highest weight whose
// active connections do not exceed its weight; the earliest wins a tie.
type overflow struct{}

// NewOVF returns the weighted overflow scheduler ("ovf"). It ignores flags.
func NewOVF(_ []Dest, _ Flags) Scheduler { return overflow{} }

// Pick implements [Scheduler].
func (overflow) Pick(dests []Dest, _ *Key) int {
	best, hw := -1, int32(0)
	for i := range dests {
		d := &dests[i]
		if !d.usable() || int64(d.ActiveConns) > int64(d.Weight) {
			continue
		}
		if best < 0 || d.Weight > hw {
			best, hw = i, d.Weight
		}
	}
	return best
}
