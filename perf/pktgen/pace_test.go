package pktgen

import (
	"errors"
	"testing"
	"time"
)

func TestPacerSchedule(t *testing.T) {
	p, err := NewPacer(1_000_000, 0) // 1 Mpps: chunks of 1000
	if err != nil {
		t.Fatal(err)
	}
	if p.Chunk != 1000 {
		t.Errorf("Chunk = %d, want a millisecond's worth (1000)", p.Chunk)
	}
	// Nothing is due at the start; the first frame is due after 1 µs.
	if n, wait := p.Next(0, 0); n != 0 || wait != time.Microsecond {
		t.Errorf("Next(0, 0) = %d, %v; want 0, 1µs", n, wait)
	}
	// 2.5 ms in with 1000 sent: 1500 due, one chunk of 1000 now.
	if n, _ := p.Next(2500*time.Microsecond, 1000); n != 1000 {
		t.Errorf("Next(2.5ms, 1000) = %d, want 1000 (a chunk)", n)
	}
	if n, _ := p.Next(2500*time.Microsecond, 2000); n != 500 {
		t.Errorf("Next(2.5ms, 2000) = %d, want 500", n)
	}
	// Ahead of schedule: wait until frame 3001 is due at 3.001 ms.
	if n, wait := p.Next(2500*time.Microsecond, 3000); n != 0 || wait != 501*time.Microsecond {
		t.Errorf("Next(2.5ms, 3000) = %d, %v; want 0, 501µs", n, wait)
	}
	// After a 1 s stall, catching up is bounded by the chunk.
	if n, _ := p.Next(time.Second, 0); n != 1000 {
		t.Errorf("Next(1s, 0) = %d, want 1000", n)
	}
}

func TestPacerFlatOut(t *testing.T) {
	p, err := NewPacer(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, wait := p.Next(time.Hour, 1<<40); n != 65536 || wait != 0 {
		t.Errorf("flat out Next = %d, %v; want 65536, 0", n, wait)
	}
	if !p.Reached(0, time.Second) {
		t.Error("flat out always reaches its target")
	}
}

func TestPacerRejects(t *testing.T) {
	for _, r := range []float64{-1, MaxRate + 1, 1e12} {
		if _, err := NewPacer(r, 0); !errors.Is(err, ErrBadRate) {
			t.Errorf("NewPacer(%g) = %v, want ErrBadRate", r, err)
		}
	}
	p, _ := NewPacer(10, 0)
	if p.Chunk != 64 {
		t.Errorf("a slow pacer's chunk is %d, want at least 64", p.Chunk)
	}
}

// fakeClock is a clock that advances only when the run sleeps or sends.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Sleep(d time.Duration)   { c.now = c.now.Add(d) }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// fakeSender counts frames and takes perFrame of fake time for each.
type fakeSender struct {
	clock    *fakeClock
	perFrame time.Duration
	sent     uint64
	calls    int
}

func (s *fakeSender) Send(n uint64) error {
	s.sent += n
	s.calls++
	s.clock.advance(time.Duration(n) * s.perFrame)
	return nil
}

func (s *fakeSender) Sent() (uint64, error) { return s.sent, nil }

func TestRunPaced(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	s := &fakeSender{clock: c, perFrame: 10 * time.Nanosecond} // could do 100 Mpps
	p, _ := NewPacer(2_000_000, 0)
	var ticks []Progress
	r, err := Run(s, RunOptions{Duration: 3 * time.Second, Pacer: p, Now: c.Now, Sleep: c.Sleep,
		Progress: func(pr Progress) { ticks = append(ticks, pr) }})
	if err != nil {
		t.Fatal(err)
	}
	// 6M frames over 3 s, give or take the last chunk.
	if r.Sent < 5_998_000 || r.Sent > 6_002_000 {
		t.Errorf("sent %d in 3 s at 2 Mpps, want ~6000000", r.Sent)
	}
	if len(ticks) != 2 {
		t.Fatalf("%d progress reports over 3 s, want 2 (at 1 s and 2 s): %+v", len(ticks), ticks)
	}
	for _, tk := range ticks {
		if tk.PPS < 1.99e6 || tk.PPS > 2.01e6 {
			t.Errorf("progress %+v: rate off 2 Mpps", tk)
		}
	}
}

func TestRunCount(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	s := &fakeSender{clock: c, perFrame: time.Nanosecond}
	r, err := Run(s, RunOptions{Count: 100_003, Now: c.Now, Sleep: c.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != 100_003 {
		t.Errorf("sent %d, want exactly 100003", r.Sent)
	}
	if s.calls != 2 {
		t.Errorf("%d Send calls, want 2 (a 65536 chunk and the rest)", s.calls)
	}
}

func TestRunRateNotReached(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	s := &fakeSender{clock: c, perFrame: time.Microsecond} // at most 1 Mpps
	p, _ := NewPacer(5_000_000, 0)
	r, err := Run(s, RunOptions{Duration: time.Second, Pacer: p, Now: c.Now, Sleep: c.Sleep})
	if !errors.Is(err, ErrRateNotReached) {
		t.Fatalf("Run = %v, want ErrRateNotReached", err)
	}
	if r.PPS < 0.9e6 || r.PPS > 1.1e6 {
		t.Errorf("reported %.0f pps, want the ~1 Mpps achieved", r.PPS)
	}
}

func TestRunNeedsABound(t *testing.T) {
	if _, err := Run(&fakeSender{clock: &fakeClock{}}, RunOptions{}); !errors.Is(err, ErrBadSpec) {
		t.Errorf("unbounded Run = %v, want ErrBadSpec", err)
	}
}
