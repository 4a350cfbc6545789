package pktgen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxRate is the highest rate a generator may be asked for: 64-byte frames
// at 100 Gb/s line rate (148.8 Mpps). Anything above is impossible on any
// link this program can drive.
const MaxRate = 148_809_524

// Errors about rates.
var (
	// ErrBadRate is returned for a negative or impossible target rate.
	ErrBadRate = errors.New("pktgen: impossible rate")
	// ErrRateNotReached is returned when a run ends more than 10% short
	// of its target rate: the target is beyond what this path can do.
	ErrRateNotReached = errors.New("pktgen: target rate not reached")
)

// Pacer decides how many frames a sender may send at a point of its run to
// hold a target rate. It does not read the clock: the caller passes the
// elapsed time, so the logic is testable without waiting.
type Pacer struct {
	// Rate is the target in frames per second; 0 means flat out.
	Rate float64
	// Chunk is the most frames one step sends (a BPF_PROG_RUN repeat
	// count, a few TX batches): it bounds how late a stop is seen and how
	// large a burst catching up after a stall can be.
	Chunk uint64
}

// NewPacer returns a pacer for rate frames per second (0: flat out) whose
// steps send at most chunk frames (0: one millisecond's worth, at least 64
// and at most 65536, or 65536 flat out).
func NewPacer(rate float64, chunk uint64) (*Pacer, error) {
	if rate < 0 || rate > MaxRate || math.IsNaN(rate) {
		return nil, fmt.Errorf("%w: %.0f frames/s: must be 0 (flat out) .. %d", ErrBadRate, rate, uint64(MaxRate))
	}
	if chunk == 0 {
		chunk = 65536
		if rate > 0 {
			chunk = min(max(uint64(rate/1000), 64), 65536)
		}
	}
	return &Pacer{Rate: rate, Chunk: chunk}, nil
}

// Due returns the frames that should have been sent after elapsed.
func (p *Pacer) Due(elapsed time.Duration) uint64 {
	if elapsed <= 0 {
		return 0
	}
	return uint64(p.Rate * elapsed.Seconds())
}

// Next returns how many frames to send now, after elapsed with sent frames
// sent: at most Chunk. When none is due it returns 0 and how long to wait
// until the next one is.
func (p *Pacer) Next(elapsed time.Duration, sent uint64) (n uint64, wait time.Duration) {
	if p.Rate == 0 {
		return p.Chunk, 0
	}
	if due := p.Due(elapsed); due > sent {
		return min(due-sent, p.Chunk), 0
	}
	at := time.Duration(float64(sent+1) / p.Rate * float64(time.Second))
	return 0, max(at-elapsed, time.Microsecond)
}

// Reached reports whether sent frames over elapsed came within 10% of the
// target rate (always true flat out).
func (p *Pacer) Reached(sent uint64, elapsed time.Duration) bool {
	if p.Rate == 0 || elapsed <= 0 {
		return true
	}
	return float64(sent) >= 0.9*float64(p.Due(elapsed))
}
