package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/dataplane/engine"
)

// maxBusyPollUs bounds --busy-poll-us: ten seconds.
const maxBusyPollUs = 10_000_000

// busyOptions is --busy-poll-us: how long a worker keeps polling its
// rings after its last frame before it sleeps (engine.Config.BusyPoll).
type busyOptions struct {
	us int
}

func (b *busyOptions) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&b.us, "busy-poll-us", int(engine.DefaultBusyPoll/time.Microsecond),
		"microseconds a worker keeps polling after its last frame before it sleeps (0: sleep after a few hundred empty polls; "+
			"a loaded worker burns its core meanwhile, an idle one sleeps)")
}

func (b *busyOptions) check() error {
	if b.us < 0 || b.us > maxBusyPollUs {
		return fmt.Errorf("invalid --busy-poll-us %d: must be 0..%d", b.us, maxBusyPollUs)
	}
	return nil
}

// apply sets cfg.BusyPoll.
func (b *busyOptions) apply(cfg *engine.Config) {
	if b.us == 0 {
		cfg.BusyPoll = -1
		return
	}
	cfg.BusyPoll = time.Duration(b.us) * time.Microsecond
}
