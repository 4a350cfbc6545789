package engine

import (
	"testing"
	"time"
)

// A worker that handled frames recently keeps polling; it sleeps only
// after idleSpins empty polls and BusyPoll without a frame, and with
// busy polling off after the spins alone.
func TestIdleWorkerSleepsAfterBusyPoll(t *testing.T) {
	ms := int64(time.Millisecond)
	cases := []struct {
		busyPoll time.Duration
		idle     int
		sinceRx  int64
		want     bool
	}{
		{0, idleSpins, DefaultBusyPoll.Nanoseconds() - 1, false},
		{0, idleSpins, DefaultBusyPoll.Nanoseconds(), true},
		{0, idleSpins - 1, 10 * DefaultBusyPoll.Nanoseconds(), false},
		{5 * time.Millisecond, idleSpins, 4 * ms, false},
		{5 * time.Millisecond, idleSpins, 5 * ms, true},
		{-1, idleSpins, 0, true},
		{-1, idleSpins - 1, 0, false},
	}
	for _, c := range cases {
		cfg := Config{BusyPoll: c.busyPoll}
		w := &Worker{busyPoll: cfg.busyPollNanos(), idle: c.idle, lastBusy: 1000 * ms}
		if got := w.mayWait(1000*ms + c.sinceRx); got != c.want {
			t.Errorf("BusyPoll %v, %d empty polls, %v since the last frame: may wait %v, want %v",
				c.busyPoll, c.idle, time.Duration(c.sinceRx), got, c.want)
		}
	}
}
