package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runEnv, when set, makes the test binary run as xlvs-rs itself: the
// namespace tests start it inside a namespace with netlab's NS.Command.
const runEnv = "XLVS_RS_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"sideways"}, `unknown command "sideways"`},
		{[]string{"up", "--mode", "dr"}, "at least one --vip is required"},
		{[]string{"up", "--vip", "198.18.0.100"}, "--mode is required: dr or tun"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "nat"}, `invalid --mode "nat": must be dr or tun`},
		{[]string{"up", "--vip", "198.18.0.300", "--mode", "dr"}, `invalid --vip "198.18.0.300"`},
		{[]string{"up", "--vip", "0.0.0.0", "--mode", "dr"}, `invalid --vip "0.0.0.0"`},
		{[]string{"up", "--vip", "127.0.0.2", "--mode", "dr"}, `invalid --vip "127.0.0.2"`},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "dr", "--tun-type", "gue"}, "Tunnel options conflict with forward method"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-type", "gue"}, "You need to supply the 'tun-port' option for the 'gue' tunnel type"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-port", "6080"}, "Illegal 'tun-port' option with the 'ipip' tunnel type"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-type", "gue", "--tun-port", "0"}, "illegal tunnel port specified"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-type", "gue", "--tun-port", "65536"}, "illegal tunnel port specified"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-type", "vxlan"}, "illegal tunnel type specified"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--tun-type", "gre", "--tun-port", "6080"}, "Illegal 'tun-port' option with the 'gre' tunnel type"},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "tun", "--decap", "xdp"}, `invalid --decap "xdp"`},
		{[]string{"up", "--vip", "198.18.0.100", "--mode", "dr", "extra"}, `unexpected argument "extra"`},
		{[]string{"down", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, &stderr)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, &stderr)
			}
			if !strings.Contains(stderr.String(), "usage:") {
				t.Errorf("stderr has no usage text:\n%s", &stderr)
			}
		})
	}
}

func TestNotUp(t *testing.T) {
	path := t.TempDir() + "/state.json"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "--state", path}, &stdout, &stderr); code != exitNotUp {
		t.Errorf("status without state: exit %d, want %d (stderr %q)", code, exitNotUp, &stderr)
	}
	if want := "xlvs-rs status: not set up: no state file " + path + "\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", &stderr, want)
	}
	stdout.Reset()
	if code := run([]string{"down", "--state", path}, &stdout, &stderr); code != exitOK {
		t.Errorf("down without state: exit %d, want 0", code)
	}
	if want := "nothing to undo: no state file " + path + "\n"; stdout.String() != want {
		t.Errorf("down stdout %q, want %q", &stdout, want)
	}
}

func TestSysctlName(t *testing.T) {
	for path, want := range map[string]string{
		"net/ipv4/conf/all/arp_ignore":     "net.ipv4.conf.all.arp_ignore",
		"net/ipv4/conf/eth0.100/rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
	} {
		if got := sysctlName(path); got != want {
			t.Errorf("sysctlName(%q) = %q, want %q", path, got, want)
		}
	}
}
