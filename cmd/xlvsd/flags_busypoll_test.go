package main

import (
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/engine"
)

// TestBusyPollFlag: the default busy-polls for engine.DefaultBusyPoll, a
// user's value in microseconds, 0 turns busy polling off, and values out
// of range are refused.
func TestBusyPollFlag(t *testing.T) {
	cases := []struct {
		args []string
		want time.Duration
	}{
		{nil, engine.DefaultBusyPoll},
		{[]string{"--busy-poll-us", "200"}, 200 * time.Microsecond},
		{[]string{"--busy-poll-us", "0"}, -1},
	}
	for _, c := range cases {
		o, err := parseFlags(append([]string{"-i", "eth0"}, c.args...))
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		var cfg engine.Config
		o.busyPoll.apply(&cfg)
		if cfg.BusyPoll != c.want {
			t.Errorf("%q: BusyPoll %v, want %v", c.args, cfg.BusyPoll, c.want)
		}
	}
	for _, bad := range []string{"-1", "10000001"} {
		if _, err := parseFlags([]string{"-i", "eth0", "--busy-poll-us", bad}); err == nil || !strings.Contains(err.Error(), "invalid --busy-poll-us "+bad+": must be 0..10000000") {
			t.Errorf("--busy-poll-us %s: %v", bad, err)
		}
	}
}
