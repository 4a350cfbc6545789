package sched

import "math/rand/v2"

func init() {
	Register("twos", NewTwos)
}

// twoChoices is ip_vs_twos.c: two destinations drawn at random with
// probability by weight, and the one with the lower
// ((active<<8)+inactive)/weight taken.
type twoChoices struct {
	rnd *rand.Rand
}

// NewTwos returns the weighted random twos-choice scheduler ("twos"),
// seeded from the runtime's random source. It ignores flags.
func NewTwos(_ []Dest, _ Flags) Scheduler {
	return NewTwosSeeded(rand.Uint64(), rand.Uint64())
}

// NewTwosSeeded returns a "twos" scheduler whose random draws are
// determined by the seed, for reproducible tests and simulations.
func NewTwosSeeded(seed1, seed2 uint64) Scheduler {
	return &twoChoices{rnd: rand.New(rand.NewPCG(seed1, seed2))}
}

// Pick implements [Scheduler]. Both draws are uniform in [0, total] (the
// kernel adds 1 to the total weight so the bound is inclusive); walking
// the list and subtracting each weight, a draw selects the first
// destination at which it reaches 0 or below. Choice 2 replaces choice 1
// only when strictly less loaded.
func (s *twoChoices) Pick(dests []Dest, _ *Key) int {
	var total uint64
	for i := range dests {
		if d := &dests[i]; d.usable() {
			total += uint64(d.Weight)
		}
	}
	if total == 0 {
		return -1
	}
	r1 := int64(s.rnd.Uint64N(total + 1))
	r2 := int64(s.rnd.Uint64N(total + 1))
	c1, c2 := -1, -1
	var oh1, oh2 uint64
	for i := range dests {
		d := &dests[i]
		if !d.usable() {
			continue
		}
		r1 -= int64(d.Weight)
		r2 -= int64(d.Weight)
		if r1 <= 0 && c1 < 0 {
			c1, oh1 = i, connOverhead(d)
		}
		if r2 <= 0 && c2 < 0 {
			c2, oh2 = i, connOverhead(d)
		}
		if c1 >= 0 && c2 >= 0 {
			break
		}
	}
	if heavier(oh1, dests[c1].Weight, oh2, dests[c2].Weight) {
		return c2
	}
	return c1
}
