package sched

func init() {
	Register("rr", NewRR)
	Register("wrr", NewWRR)
}

// roundRobin is ip_vs_rr.c: it walks the destination list circularly from
// the one after the last pick and takes the first one that is neither
// overloaded nor quiesced.
type roundRobin struct {
	last int // index of the last pick; -1 is the list head
}

// NewRR returns the round-robin scheduler ("rr"). It ignores flags.
func NewRR(_ []Dest, _ Flags) Scheduler { return &roundRobin{last: -1} }

// Pick implements [Scheduler]. The kernel's walk (list_for_each_entry_continue
// from sched_data, wrapping past the head, stopping once it has checked the
// last pick itself) visits last+1 … n-1, 0 … last; a failed pick leaves the
// position unchanged.
func (s *roundRobin) Pick(dests []Dest, _ *Key) int {
	n := len(dests)
	i := s.last
	if i >= n {
		i = -1
	}
	for range n {
		i++
		if i == n {
			i = 0
		}
		if dests[i].usable() {
			s.last = i
			return i
		}
	}
	return -1
}

// weightedRR is ip_vs_wrr.c. Weights are stepped through from the maximum
// down to 1 by their greatest common divisor; on each step every
// destination whose weight is at least the current weight cw is picked
// once, in list order.
type weightedRR struct {
	n  int // len(dests) at build time
	cl int // current position; -1 is the list head
	cw int32
	mw int32 // max weight - (di - 1); 0 when no destination has weight > 0
	di int32 // gcd of the positive weights, 1 if none
}

// NewWRR returns the weighted round-robin scheduler ("wrr"). It ignores
// flags.
func NewWRR(dests []Dest, _ Flags) Scheduler {
	s := &weightedRR{}
	s.init(dests)
	return s
}

// init is ip_vs_wrr_init_svc: gcd and maximum over the destinations in
// service, position at the head and cw = mw.
func (s *weightedRR) init(dests []Dest) {
	var g, maxW int32
	for i := range dests {
		d := &dests[i]
		if !d.present() {
			continue
		}
		if w := d.Weight; w > 0 {
			if g > 0 {
				g = gcd(w, g)
			} else {
				g = w
			}
			if w > maxW {
				maxW = w
			}
		}
	}
	if g == 0 {
		g = 1
	}
	s.n = len(dests)
	s.cl = -1
	s.di = g
	s.mw = maxW - (g - 1)
	s.cw = s.mw
}

// Pick implements [Scheduler] as ip_vs_wrr_schedule does, including its
// termination rule: after all destinations were checked against cw = 1
// (the last pass, cw <= di), a full circle without a hit means every
// destination is overloaded or quiesced.
func (s *weightedRR) Pick(dests []Dest, _ *Key) int {
	if len(dests) != s.n {
		s.init(dests) // not rebuilt by the caller: start over
	}
	if s.mw <= 0 {
		return -1
	}
	n := len(dests)
	last := s.cl
	stop := -2 // no stop destination yet
	lastPass, restarted := false, false
	i := s.cl
	for {
		for i++; i < n; i++ {
			d := &dests[i]
			if d.present() && d.Flags&FlagOverloaded == 0 && d.Weight >= s.cw {
				s.cl = i
				return i
			}
			if i == stop {
				s.cl = i
				return -1
			}
		}
		i = -1 // back at the head
		s.cw -= s.di
		if s.cw <= 0 {
			s.cw = s.mw
			if lastPass || last == -1 {
				s.cl = -1
				return -1
			}
			restarted = true
		}
		lastPass = s.cw <= s.di
		if lastPass && restarted && last != -1 {
			stop = last
		}
	}
}
