package engine

import "time"

// DefaultBusyPoll is how long a worker keeps polling its rings after the
// last frame it handled before it may sleep (Config.BusyPoll).
//
// The trade-off: on veth and copy-mode AF_XDP the kernel fills a socket's
// RX ring in bursts from another CPU's softirq, with gaps of a few
// hundred microseconds between them. A worker that slept after idleSpins
// empty polls (about a millisecond) overslept the next burst: its
// 2048-entry RX ring filled and the kernel dropped the rest (xsk-rx-ring-
// full), while the worker's core sat idle half the time. Polling for
// BusyPoll after traffic keeps a loaded worker awake between bursts; an
// idle director still sleeps in poll(2) once BusyPoll has passed without
// a frame, so it burns a core for at most BusyPoll after traffic stops
// (and continuously while frames keep arriving more often than that).
const DefaultBusyPoll = 50 * time.Millisecond

// busyPollNanos resolves cfg.BusyPoll: 0 means DefaultBusyPoll, negative
// means none (sleep after idleSpins empty polls, as before).
func (cfg *Config) busyPollNanos() int64 {
	switch {
	case cfg.BusyPoll < 0:
		return 0
	case cfg.BusyPoll == 0:
		return int64(DefaultBusyPoll)
	default:
		return int64(cfg.BusyPoll)
	}
}

// mayWait reports whether an idle worker may sleep at time now: after at
// least idleSpins empty polls in a row and busyPoll nanoseconds without a
// frame.
func (w *Worker) mayWait(now int64) bool {
	return w.idle >= idleSpins && now-w.lastBusy >= w.busyPoll
}
