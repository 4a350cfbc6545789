package engine

import "github.com/xlvs/xlvs/dataplane/port"

// DefaultBusyPoll is how long a worker keeps polling its rings after the
// last frame it handled before it may sleep (Config.BusyPoll): the idle
// policy is port.Idle's, shared with the bare AF_XDP forwarder of perf/fwd
// (see port.DefaultBusyPoll for the trade-off).
const DefaultBusyPoll = port.DefaultBusyPoll
