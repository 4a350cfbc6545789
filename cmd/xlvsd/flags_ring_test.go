package main

import (
	"strings"
	"testing"

	"github.com/xlvs/xlvs/dataplane/port/xskport"
)

// TestRXRingFlag: by default the sockets get xskport's ring and UMEM
// sizes; --rx-ring must be a power of two, and --frames must leave room
// for a full fill ring and a full RX ring.
func TestRXRingFlag(t *testing.T) {
	o, err := parseFlags([]string{"-i", "eth0"})
	if err != nil {
		t.Fatal(err)
	}
	def := xskport.DefaultOptions()
	if o.rxRing != def.Socket.RXSize || o.rxRing != def.Socket.FillSize || o.frames != def.FramesPerLink {
		t.Errorf("defaults: --rx-ring %d, --frames %d; want %d (RX and fill ring) and %d", o.rxRing, o.frames, def.Socket.RXSize, def.FramesPerLink)
	}
	if o, err := parseFlags([]string{"-i", "eth0", "--rx-ring", "1024", "--frames", "2048"}); err != nil || o.rxRing != 1024 || o.frames != 2048 {
		t.Errorf("--rx-ring 1024 --frames 2048: %v, %+v", err, o)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rx-ring", "3000"}, "invalid --rx-ring 3000: must be a power of two in 64..65536"},
		{[]string{"--rx-ring", "32"}, "invalid --rx-ring 32: must be a power of two in 64..65536"},
		{[]string{"--rx-ring", "4096", "--frames", "4096"}, "invalid --frames 4096: must be at least twice --rx-ring (8192)"},
	} {
		_, err := parseFlags(append([]string{"-i", "eth0"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}
