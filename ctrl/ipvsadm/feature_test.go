package ipvsadm

import (
	"errors"
	"strings"
	"testing"
)

// TestUnsupportedFeaturesThroughDaemon runs refused and failing commands
// through the daemon's real control path: ipvsadm's parser accepts and
// validates them as ipvsadm does, the request is refused with ipvsadm's
// message and status, and nothing changes.
func TestUnsupportedFeaturesThroughDaemon(t *testing.T) {
	names := loadTestNames(t)
	tests := []struct {
		args string
		want result
	}{
		// SCTP services that do not exist; port names looked up for sctp.
		{"-E --sctp-service 10.0.0.3:3868", stderr("No such service", 255)},
		{"-a --sctp-service 10.0.0.3:3868 -r 192.168.30.1", stderr("Service not defined", 255)},
		{"-L -n --sctp-service 10.0.0.3:3868", stderr("No such service", 1)},
		{"-A --sctp-service 10.0.0.3:nosuchport", stderr("illegal virtual server address[:port] specified", 2)},
		// The connection sync daemon: errors that leave the table alone.
		{"--stop-daemon backup", stderr("No daemon is running", 255)},
		{"--start-daemon master --syncid 256", stderr("illegal syncid specified", 2)},
		// With no sync daemon, ipvsadm -L --daemon prints nothing.
		{"-L --daemon", result{}},
		{"-l --daemon -n", result{}},
	}
	for _, tt := range tests {
		d := newDaemonPath(t, names)
		d.apply("-A", "-t", "10.0.0.1:80", "-s", "rr")
		got := d.run("", words(tt.args)...)
		if got != tt.want {
			t.Errorf("ipvsadm %s\n got %+v\nwant %+v", tt.args, got, tt.want)
		}
		if s := d.run("", "-S", "-n"); s != (result{"-A -t 10.0.0.1:80 -s rr\n", "", 0}) {
			t.Errorf("ipvsadm %s changed the table: %+v", tt.args, s)
		}
	}
}

// TestListDaemonNeedsDirector: like ipvsadm, which cannot list its sync
// daemons without IPVS, -L --daemon fails when xlvsd cannot be reached
// instead of answering "none".
func TestListDaemonNeedsDirector(t *testing.T) {
	var out, errb strings.Builder
	e := &Env{Stdout: &out, Stderr: &errb, Socket: "/run/xlvs/none.sock",
		Dial: func() (Client, error) { return nil, errors.New("connection refused") }}
	if code := e.Run("ipvsadm", []string{"-L", "--daemon"}); code != ExitFail {
		t.Errorf("exit %d, want %d", code, ExitFail)
	}
	if !strings.HasPrefix(errb.String(), "Can't initialize ipvs: connection refused\n") || out.String() != "" {
		t.Errorf("stderr %q stdout %q", errb.String(), out.String())
	}
}
