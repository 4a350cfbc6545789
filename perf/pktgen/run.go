package pktgen

import (
	"fmt"
	"time"
)

// Sender is a way of sending a template's frames: [Live] or [XSKSender].
type Sender interface {
	// Send sends (or queues) n more frames.
	Send(n uint64) error
	// Sent returns the frames sent so far.
	Sent() (uint64, error)
}

// drainer is a Sender with frames in flight at the end of a run.
type drainer interface{ Drain() error }

// Progress is a snapshot of a run, reported once per second.
type Progress struct {
	Elapsed time.Duration
	Sent    uint64
	// PPS is the rate over the last interval.
	PPS float64
}

// RunOptions bound a [Run].
type RunOptions struct {
	// Duration ends the run after this long; 0: no time limit.
	Duration time.Duration
	// Count ends the run after this many frames; 0: no count limit.
	// One of Duration and Count must be set unless Stop is.
	Count uint64
	// Pacer holds the rate (nil: flat out).
	Pacer *Pacer
	// Progress, when set, is called about once per second.
	Progress func(Progress)
	// Stop ends the run early when closed.
	Stop <-chan struct{}
	// Now is the clock (default time.Now); tests replace it.
	Now func() time.Time
	// Sleep waits (default time.Sleep); tests replace it.
	Sleep func(time.Duration)
}

// Result summarises a run.
type Result struct {
	Sent    uint64        `json:"sent"`
	Elapsed time.Duration `json:"elapsed_ns"`
	PPS     float64       `json:"pps"`
}

// Run sends with s until the duration, the count or Stop, pacing with
// o.Pacer, and returns what was sent. A paced run that ends more than 10%
// short of its rate returns its result and [ErrRateNotReached].
func Run(s Sender, o RunOptions) (Result, error) {
	if o.Duration <= 0 && o.Count == 0 && o.Stop == nil {
		return Result{}, fmt.Errorf("%w: a run needs a duration, a count or a stop channel", ErrBadSpec)
	}
	if o.Pacer == nil {
		o.Pacer, _ = NewPacer(0, 0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	start := o.Now()
	var requested, lastSent uint64
	lastTick := time.Duration(0)
	for {
		elapsed := o.Now().Sub(start)
		if o.Duration > 0 && elapsed >= o.Duration || o.Count > 0 && requested >= o.Count || stopped(o.Stop) {
			break
		}
		if o.Progress != nil && elapsed-lastTick >= time.Second {
			sent, err := s.Sent()
			if err != nil {
				return Result{}, err
			}
			o.Progress(Progress{Elapsed: elapsed, Sent: sent, PPS: float64(sent-lastSent) / (elapsed - lastTick).Seconds()})
			lastTick, lastSent = elapsed, sent
		}
		n, wait := o.Pacer.Next(elapsed, requested)
		if o.Count > 0 {
			n = min(n, o.Count-requested)
		}
		if n == 0 {
			if o.Duration > 0 {
				wait = min(wait, o.Duration-elapsed)
			}
			o.Sleep(min(wait, 100*time.Millisecond))
			continue
		}
		if err := s.Send(n); err != nil {
			return Result{}, err
		}
		requested += n
	}
	if d, ok := s.(drainer); ok {
		if err := d.Drain(); err != nil {
			return Result{}, err
		}
	}
	elapsed := o.Now().Sub(start)
	sent, err := s.Sent()
	if err != nil {
		return Result{}, err
	}
	r := Result{Sent: sent, Elapsed: elapsed}
	if elapsed > 0 {
		r.PPS = float64(sent) / elapsed.Seconds()
	}
	if o.Count == 0 && !o.Pacer.Reached(sent, elapsed) {
		return r, fmt.Errorf("%w: %.0f frames/s asked, %.0f sent", ErrRateNotReached, o.Pacer.Rate, r.PPS)
	}
	return r, nil
}

func stopped(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
