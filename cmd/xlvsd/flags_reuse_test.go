package main

import (
	"strings"
	"testing"

	"github.com/xlvs/xlvs/dataplane/engine"
)

// TestReuseFlags: the kernel's defaults, the two flags as a user types
// them, and a mode out of range.
func TestReuseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-i", "eth0"})
	if err != nil || o.reuse.config() != (engine.ConnReuse{Mode: 1}) {
		t.Errorf("defaults: %+v %v, want conn_reuse_mode 1, expire_nodest_conn off", o.reuse, err)
	}
	o, err = parseFlags([]string{"-i", "eth0", "--conn-reuse-mode", "2", "--expire-nodest-conn"})
	if err != nil || o.reuse.config() != (engine.ConnReuse{Mode: 2, ExpireNodestConn: true}) {
		t.Errorf("--conn-reuse-mode 2 --expire-nodest-conn: %+v %v", o.reuse, err)
	}
	for _, bad := range []string{"4", "-1"} {
		if _, err := parseFlags([]string{"-i", "eth0", "--conn-reuse-mode", bad}); err == nil || !strings.Contains(err.Error(), "invalid --conn-reuse-mode "+bad+": must be 0..3") {
			t.Errorf("--conn-reuse-mode %s: %v", bad, err)
		}
	}
}
