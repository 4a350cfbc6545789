package port

import (
	"testing"
	"time"
)

// A loop that moved frames recently keeps polling; it may sleep only after
// IdleSpins empty polls spanning the busy-poll time, and with busy polling
// off after the spins alone. A busy poll starts the count again.
func TestIdleSleepsAfterBusyPoll(t *testing.T) {
	ms := int64(time.Millisecond)
	cases := []struct {
		busyPoll time.Duration
		empty    int   // empty polls, the first at 0, the last at span
		span     int64 // nanoseconds
		want     bool
	}{
		{0, IdleSpins, DefaultBusyPoll.Nanoseconds() - 1, false},
		{0, IdleSpins, DefaultBusyPoll.Nanoseconds(), true},
		{0, IdleSpins - 1, 10 * DefaultBusyPoll.Nanoseconds(), false},
		{5 * time.Millisecond, IdleSpins, 4 * ms, false},
		{5 * time.Millisecond, IdleSpins, 5 * ms, true},
		{-1, IdleSpins, 0, true},
		{-1, IdleSpins - 1, 0, false},
	}
	for _, c := range cases {
		idle := NewIdle(c.busyPoll)
		start := 1000 * ms
		// A busy poll before the run, after empty ones: they do not count.
		for k := 0; k < 2*IdleSpins; k++ {
			idle.Empty(start - 100*ms)
		}
		idle.Busy()
		got := false
		for k := 0; k < c.empty; k++ {
			now := start
			if k == c.empty-1 {
				now += c.span
			}
			got = idle.Empty(now)
		}
		if got != c.want {
			t.Errorf("busy poll %v, %d empty polls over %v: may sleep %v, want %v",
				c.busyPoll, c.empty, time.Duration(c.span), got, c.want)
		}
	}
}

// NewIdle resolves 0 to DefaultBusyPoll and a negative time to none.
func TestNewIdleBusyPoll(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0: DefaultBusyPoll, -1: 0, 3 * time.Millisecond: 3 * time.Millisecond,
	} {
		i := NewIdle(in)
		if got := i.BusyPoll(); got != want {
			t.Errorf("NewIdle(%v).BusyPoll() = %v, want %v", in, got, want)
		}
	}
}
