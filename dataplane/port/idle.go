package port

import "time"

// DefaultBusyPoll is how long a polling loop keeps polling its rings after
// the last frame it moved before it may sleep ([NewIdle]).
//
// The trade-off: on veth and copy-mode AF_XDP the kernel fills a socket's
// RX ring in bursts from another CPU's softirq, with gaps of a few
// hundred microseconds between them. A loop that slept after IdleSpins
// empty polls (about a millisecond) overslept the next burst: its
// 2048-entry RX ring filled and the kernel dropped the rest (the socket's
// RXRingFull), while its core sat idle half the time. Polling for
// DefaultBusyPoll after traffic keeps a loaded loop awake between bursts;
// an idle one still sleeps once that time has passed without a frame, so
// it burns a core for at most DefaultBusyPoll after traffic stops (and
// continuously while frames keep arriving more often than that).
const DefaultBusyPoll = 50 * time.Millisecond

// IdleSpins is the least number of empty polls in a row before a polling
// loop may sleep, whatever its busy-poll time.
const IdleSpins = 256

// Idle is the idle policy of a loop that polls rings: after a poll that
// moved frames it keeps polling for its busy-poll time and at least
// [IdleSpins] empty polls, then it may sleep ([Port.Wait]). xlvsd's
// workers (dataplane/engine) and the bare AF_XDP forwarder the benchmarks
// compare them with (perf/fwd) share it, so both poll alike.
//
// Idle reads no clock: the loop passes the time of its empty polls, so a
// loop that is busy pays nothing for it.
//
// Not safe for concurrent use; owned by the polling goroutine.
type Idle struct {
	busyPoll int64 // nanoseconds
	empty    int   // empty polls in a row
	since    int64 // time of the first of them
}

// NewIdle returns the policy that polls for busyPoll after the last frame:
// 0 means [DefaultBusyPoll], a negative duration none (sleep after
// IdleSpins empty polls).
func NewIdle(busyPoll time.Duration) Idle {
	switch {
	case busyPoll < 0:
		busyPoll = 0
	case busyPoll == 0:
		busyPoll = DefaultBusyPoll
	}
	return Idle{busyPoll: int64(busyPoll)}
}

// BusyPoll returns the policy's busy-poll time.
func (i *Idle) BusyPoll() time.Duration { return time.Duration(i.busyPoll) }

// Busy records a poll that moved frames.
func (i *Idle) Busy() { i.empty = 0 }

// Empty records an empty poll at time now (monotonic nanoseconds) and
// reports whether the loop may sleep: after IdleSpins empty polls in a row
// that have lasted at least the busy-poll time.
func (i *Idle) Empty(now int64) bool {
	if i.empty == 0 {
		i.since = now
	}
	i.empty++
	return i.empty >= IdleSpins && now-i.since >= i.busyPoll
}
