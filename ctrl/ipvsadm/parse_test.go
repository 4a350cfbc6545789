package ipvsadm

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

func mustParse(t *testing.T, args ...string) *Command {
	t.Helper()
	c, err := ParseWith("ipvsadm", args, loadTestNames(t))
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return c
}

// parseErr returns the message and exit code of a rejected command line.
func parseErr(t *testing.T, args ...string) (string, int) {
	t.Helper()
	_, err := ParseWith("ipvsadm", args, loadTestNames(t))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%v: error %v, want a *ParseError", args, err)
	}
	return pe.Error(), pe.Code()
}

func TestParseBundlingAndValues(t *testing.T) {
	tcp80 := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("10.1.1.1"), Port: 80}
	tests := []struct {
		args    []string
		cmd     Cmd
		format  Format
		key     api.ServiceKey
		timeout uint32
	}{
		{[]string{"-Ln"}, CmdList, FmtNumeric, api.ServiceKey{}, 0},
		{[]string{"-lnc"}, CmdList, FmtNumeric, api.ServiceKey{}, 0},
		{[]string{"-L", "-nX", "--stats"}, CmdList, FmtNumeric | FmtExact | FmtStats, api.ServiceKey{}, 0},
		{[]string{"--list", "--numeric", "--rate", "--sort"}, CmdList, FmtNumeric | FmtRate, api.ServiceKey{}, 0},
		{[]string{"-At", "10.1.1.1:80"}, CmdAddService, 0, tcp80, 0},
		{[]string{"-A", "-t10.1.1.1:80"}, CmdAddService, 0, tcp80, 0},
		{[]string{"-A", "-t=10.1.1.1:80"}, CmdAddService, 0, tcp80, 0},
		{[]string{"-A", "--tcp-service=10.1.1.1:80"}, CmdAddService, 0, tcp80, 0},
		{[]string{"--add-service", "--tcp-service", "10.1.1.1:http"}, CmdAddService, 0, tcp80, 0},
		{[]string{"-A", "-t", "10.1.1.1:80", "-p600"}, CmdAddService, 0, tcp80, 600},
		{[]string{"-A", "-t", "10.1.1.1:80", "-p=600"}, CmdAddService, 0, tcp80, 600},
		{[]string{"-A", "-t", "10.1.1.1:80", "--persistent=600"}, CmdAddService, 0, tcp80, 600},
		{[]string{"-A", "-t", "10.1.1.1:80", "--persistent", "600"}, CmdAddService, 0, tcp80, 600},
		{[]string{"-A", "-t", "10.1.1.1:80", "-p", "600"}, CmdAddService, 0, tcp80, 600},
		// Optional value absent: before another option, or at the end.
		{[]string{"-A", "-t", "10.1.1.1:80", "-p", "-s", "rr"}, CmdAddService, 0, tcp80, 360},
		{[]string{"-A", "-t", "10.1.1.1:80", "-p"}, CmdAddService, 0, tcp80, 360},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.args...)
		if c.Cmd != tt.cmd || c.Format != tt.format || c.Service.Key != tt.key || c.Service.Timeout != tt.timeout {
			t.Errorf("%v: cmd %v format %#x key %+v timeout %d", tt.args, c.Cmd, c.Format, c.Service.Key, c.Service.Timeout)
		}
	}
}

func TestParseRejections(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
		code int
	}{
		// The first option must be a command.
		{[]string{"-n", "-L"}, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255},
		{[]string{"1.2.3.4"}, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255},
		{[]string{"--start-daemon"}, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255},
		{[]string{"--list=x"}, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255},
		// popt errors after the command: the offending word.
		{[]string{"-L", "--num"}, "--num: unknown option", 255}, // no abbreviations in popt
		{[]string{"-L", "--numeric=1"}, "--numeric=1: option does not take an argument", 255},
		{[]string{"-L", "-nq"}, "-nq: unknown option", 255},
		{[]string{"-L", "-n=="}, "-n==: option does not take an argument", 255},
		{[]string{"-L", "-n="}, "-n=: unknown option", 255},
		{[]string{"-A", "-t"}, "-t: missing argument", 255},
		// No one-dash long options: -numeric is -n -u "meric".
		{[]string{"-L", "-numeric"}, "illegal virtual server address[:port] specified", 2},
		{[]string{"-Apt", "10.1.1.1:80"}, "invalid timeout value `t' specified", 2},
		{[]string{"-Atp", "10.1.1.1:80"}, "illegal virtual server address[:port] specified", 2},
		{[]string{"--set", "-1", "2", "3"}, "-1: unknown option", 255},
		// A second command is an invalid option.
		{[]string{"-AE", "-t", "1.2.3.4:80"}, "invalid option `-AE'", 2},
		{[]string{"-L", "--help"}, "invalid option `--help'", 2},
		// Values that start with '-' are taken by options that need one.
		{[]string{"-A", "-t", "-n"}, "illegal virtual server address[:port] specified", 2},
		{[]string{"-A", "-t", "1.2.3.4:80", "-p", "rr"}, "invalid timeout value `rr' specified", 2},
		{[]string{"-A", "-t", "1.2.3.4:80", "-p="}, "invalid timeout value `' specified", 2},
		// Leftovers, wherever they are, after the options are read.
		{[]string{"foo", "-L", "-n"}, "unexpected argument foo", 2},
		{[]string{"-A", "--", "-t", "1.2.3.4:80"}, "unexpected argument -t", 2},
		{[]string{"-A", "-t", "1.2.3.4:80", "x", "-r", "1.1.1.1"}, "unexpected argument x", 2},
		{[]string{"--set", "1", "2"}, "--set option requires 3 timeout values", 2},
		// Addresses.
		{[]string{"-A", "-t", ""}, "illegal virtual server address[:port] specified", 2},
		{[]string{"-A", "-t", "[2001:db8::1]"}, "illegal virtual server address[:port] specified", 2},
		{[]string{"-A", "-t", "[2001:db8::1]x80"}, "illegal virtual server address[:port] specified", 2},
		{[]string{"-A", "-t", "1.2.3.4:http-alt", "-u", "1.2.3.4:53"}, "multiple 'service-address' options specified", 2},
		{[]string{"-A", "-u", "1.2.3.4:http-alt"}, "illegal virtual server address[:port] specified", 2}, // no 8080/udp name
		{[]string{"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:99999"}, "illegal real server address[:port] specified", 2},
		// -M follows the family known when it is read.
		{[]string{"-A", "-t", "[2001:db8::1]:80", "-p", "-M", "255.255.255.0"}, "illegal ipv6 netmask specified", 2},
		{[]string{"-A", "-f", "1", "-6", "-M", "0"}, "illegal ipv6 netmask specified", 2},
		// Scheduler flags are checked against -s (wlc by default), then
		// the matrix.
		{[]string{"-A", "-t", "1.2.3.4:80", "-s", "mh", "-b", "sh-port"}, "incompatible scheduler flag `sh-port'", 2},
		{[]string{"-A", "-t", "1.2.3.4:80", "-b", ","}, "invalid scheduler flag `,'", 2},
		{[]string{"-A", "-t", "1.2.3.4:80", "-s", "0123456789abcdefsh", "-b", "sh-port"}, "incompatible scheduler flag `sh-port'", 2},
		// Forwarding, tunnels, families.
		{[]string{"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-type", "gre", "--tun-port", "1"}, "Illegal 'tun-port' option with the 'gre' tunnel type", 2},
		{[]string{"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-type", "gue", "--tun-port", "1", "--tun-remcsum", "--tun-csum"},
			"The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type", 2},
		{[]string{"-a", "-f", "7", "-6", "-r", "10.0.0.1", "-m"}, "Different address family is allowed only for tunneling servers", 2},
		// The list conflicts.
		{[]string{"-L", "-c", "--thresholds"}, "options conflicts in the list command", 2},
		{[]string{"-L", "--daemon", "--persistent-conn"}, "options conflicts in the list command", 2},
		{[]string{"-L", "-c", "--daemon"}, "The option 'daemon' conflicts with the 'connection' option in the 'list' command", 2},
		{[]string{"-S", "--nosort"}, "Illegal 'nosort' option with the 'save' command", 2},
		{[]string{"-R", "-n"}, "Illegal 'numeric' option with the 'restore' command", 2},
		{[]string{"-E"}, "You need to supply the 'service-address' option for the 'edit-service' command", 2},
		{[]string{"-L", "-n", "-n"}, "multiple 'numeric' options specified", 2},
		{[]string{"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-g", "-i"}, "multiple 'forwarding-method' options specified", 2},
	}
	for _, tt := range tests {
		msg, code := parseErr(t, tt.args...)
		if msg != tt.msg || code != tt.code {
			t.Errorf("%v: %q (%d), want %q (%d)", tt.args, msg, code, tt.msg, tt.code)
		}
	}
}

// columnArgs are command-line fragments that set one matrix column each.
var columnArgs = map[Opt][]string{
	OptNumeric: {"-n"}, OptConnection: {"-c"}, OptService: {"-t", "10.0.0.1:80"}, OptScheduler: {"-s", "rr"},
	OptPersistent: {"-p"}, OptNetmask: {"-M", "255.255.255.0"}, OptServer: {"-r", "10.0.0.2"},
	OptForward: {"-i"}, OptWeight: {"-w", "2"}, OptUThreshold: {"-x", "10"}, OptLThreshold: {"-y", "1"},
	OptMcastIfn: {"--mcast-interface", "eth1"}, OptTimeout: {"--timeout"}, OptDaemon: {"--daemon"},
	OptStats: {"--stats"}, OptRate: {"--rate"}, OptThresholds: {"--thresholds"},
	OptPersistentConn: {"--persistent-conn"}, OptNoSort: {"--nosort"}, OptSyncID: {"--syncid", "3"},
	OptExact: {"--exact"}, OptOnePacket: {"-o"}, OptPE: {"--pe", "sip"}, OptSchedFlags: {"--sched-flags", "flag-1"},
	OptMcastGroup: {"--mcast-group", "224.0.0.81"}, OptMcastPort: {"--mcast-port", "8848"},
	OptMcastTTL: {"--mcast-ttl", "2"}, OptSyncMaxLen: {"--sync-maxlen", "1400"}, OptTunInfo: {"--tun-info"},
	OptTunType: {"--tun-type", "gue"}, OptTunPort: {"--tun-port", "6080"}, OptTunNoCsum: {"--tun-nocsum"},
	OptTunCsum: {"--tun-csum"}, OptTunRemCsum: {"--tun-remcsum"},
}

var cmdArgs = map[Cmd][]string{
	CmdAddService: {"-A"}, CmdEditService: {"-E"}, CmdDelService: {"-D"}, CmdFlush: {"-C"}, CmdList: {"-L"},
	CmdAddServer: {"-a"}, CmdDelServer: {"-d"}, CmdEditServer: {"-e"}, CmdSetTimeouts: {"--set", "1", "2", "3"},
	CmdStartDaemon: {"--start-daemon", "master"}, CmdStopDaemon: {"--stop-daemon", "master"},
	CmdRestore: {"-R"}, CmdSave: {"-S"}, CmdZero: {"-Z"},
}

// TestMatrix sets each option with each command (plus the compulsory
// ones) and checks that the parser rejects exactly the illegal pairs with
// ipvsadm's message, and asks for each compulsory option by name.
func TestMatrix(t *testing.T) {
	if len(columnArgs) != int(numOpts) {
		t.Fatalf("columnArgs covers %d of %d columns", len(columnArgs), numOpts)
	}
	for cmd := CmdAddService; cmd <= CmdZero; cmd++ {
		row := commandsVOptions[cmd-1]
		var base []string
		base = append(base, cmdArgs[cmd]...)
		for j := Opt(0); j < numOpts; j++ {
			if row[j] == '+' {
				// Leaving it out must be reported first.
				msg, _ := parseErr(t, base...)
				if want := "You need to supply the '" + j.String() + "' option for the '" + cmd.String() + "' command"; msg != want {
					t.Errorf("%v: %q, want %q", base, msg, want)
				}
				base = append(base, columnArgs[j]...)
			}
		}
		for j := Opt(0); j < numOpts; j++ {
			if row[j] == '+' {
				continue
			}
			args := append(append([]string(nil), base...), columnArgs[j]...)
			_, err := ParseWith("ipvsadm", args, loadTestNames(t))
			illegal := "Illegal '" + j.String() + "' option with the '" + cmd.String() + "' command"
			got := ""
			if err != nil {
				got = err.Error()
			}
			if row[j] == 'x' && got != illegal {
				t.Errorf("%v: %q, want %q", args, got, illegal)
			}
			if row[j] != 'x' && strings.HasPrefix(got, "Illegal '") {
				t.Errorf("%v: %q, want it accepted by the matrix", args, got)
			}
		}
	}
}

func TestParseServiceAttributes(t *testing.T) {
	c := mustParse(t, "-A", "-t", "10.0.0.1:443", "-s", "rr", "-p", "900", "-M", "255.255.0.0", "--pe", "sip")
	want := api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 443},
		Scheduler: "rr", Flags: api.SvcPersistent, Timeout: 900, Netmask: 0xffff0000, PE: "sip"}
	if c.Service.Key != want.Key || c.Service.Scheduler != want.Scheduler || c.Service.Flags != want.Flags ||
		c.Service.Timeout != want.Timeout || c.Service.Netmask != want.Netmask || c.Service.PE != want.PE {
		t.Errorf("got %+v, want %+v", c.Service, want)
	}
	// Defaults of -E: wlc, no persistence, /32.
	c = mustParse(t, "-E", "-u", "10.0.0.2:domain", "-o", "-s", "sh", "-b", "sh-port,sh-fallback")
	if c.Service.Scheduler != "sh" || c.Service.Flags != api.SvcOnePacket|api.SvcSched1|api.SvcSched2 ||
		c.Service.Netmask != 0xffffffff || c.Service.Key.Port != 53 || c.Service.Key.Protocol != api.ProtoUDP {
		t.Errorf("-E: %+v", c.Service)
	}
	if c = mustParse(t, "-E", "-t", "10.0.0.1:80"); c.Service.Scheduler != "wlc" {
		t.Errorf("default scheduler %q", c.Service.Scheduler)
	}
	// Firewall marks: no protocol or port in the key, the family from -6.
	c = mustParse(t, "-A", "-f", "5", "-6", "-p", "300", "-M", "96")
	if c.Service.Key != (api.ServiceKey{FWMark: 5, Addr: netip.IPv6Unspecified()}) || c.Service.Netmask != 96 {
		t.Errorf("fwmark v6: %+v", c.Service)
	}
	// -M read before -6 is an IPv4 mask, then -6 resets it.
	if c = mustParse(t, "-A", "-f", "1", "-M", "64", "-6", "-p"); c.Service.Netmask != 128 {
		t.Errorf("-M before -6: netmask %d", c.Service.Netmask)
	}
	// IPv6 services get /128, and "[1.2.3.4]:80" is 1.2.3.4 without port.
	if c = mustParse(t, "-A", "-t", "[2001:db8::1]:80"); c.Service.Netmask != 128 || !c.Service.Key.IsIPv6() {
		t.Errorf("v6: %+v", c.Service)
	}
	if c = mustParse(t, "-D", "-t", "[1.2.3.4]:80"); c.Service.Key.Port != 0 || c.Service.Key.Addr != netip.MustParseAddr("1.2.3.4") {
		t.Errorf("[1.2.3.4]:80: %+v", c.Service.Key)
	}
	// Host names and inet_aton forms.
	if c = mustParse(t, "-D", "-t", "localhost:https"); c.Service.Key.Addr != netip.MustParseAddr("127.0.0.1") || c.Service.Key.Port != 443 {
		t.Errorf("localhost:https: %+v", c.Service.Key)
	}
	if c = mustParse(t, "-D", "-t", "10.1:80"); c.Service.Key.Addr != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("10.1: %+v", c.Service.Key)
	}
}

func TestParseDestAttributes(t *testing.T) {
	// DR and TUN real servers take the virtual port; NAT keeps its own,
	// or copies the virtual port when none is given (at parse time).
	c := mustParse(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.1:8080", "-g")
	if c.Dest.Port != 80 || c.Dest.Method != api.MethodRoute || c.Dest.Weight != 1 {
		t.Errorf("DR: %+v", c.Dest)
	}
	c = mustParse(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.1:8080", "-m", "-w", "2147483647", "-x", "10", "-y", "5")
	if c.Dest.Port != 8080 || c.Dest.Method != api.MethodMasq || c.Dest.Weight != 2147483647 || c.Dest.UThreshold != 10 || c.Dest.LThreshold != 5 {
		t.Errorf("NAT: %+v", c.Dest)
	}
	if c = mustParse(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.1:8080", "--fullnat"); c.Dest.Method != api.MethodFullNAT || c.Dest.Port != 8080 {
		t.Errorf("--fullnat: %+v", c.Dest)
	}
	if msg, _ := parseErr(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.1", "--fullnat", "-m"); msg != "multiple 'forwarding-method' options specified" {
		t.Errorf("--fullnat -m: %q", msg)
	}
	if c = mustParse(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.1.1", "-m"); c.Dest.Port != 80 {
		t.Errorf("copied port %d", c.Dest.Port)
	}
	if c = mustParse(t, "-a", "-r", "192.168.1.1", "-m", "-t", "10.0.0.1:80"); c.Dest.Port != 0 {
		t.Errorf("-r before -t copies the port known then (0), got %d", c.Dest.Port)
	}
	if c = mustParse(t, "-a", "-f", "1", "-r", "192.168.1.1:http", "-g"); c.Dest.Port != 80 {
		t.Errorf("fwmark DR keeps its port: %d", c.Dest.Port)
	}
	c = mustParse(t, "-e", "-t", "10.0.0.1:80", "-r", "2001:db8::5", "-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-remcsum")
	if c.Dest.TunType != api.TunGUE || c.Dest.TunPort != 6080 || c.Dest.TunFlags != 2 || c.Dest.Port != 80 {
		t.Errorf("GUE: %+v", c.Dest)
	}
	c = mustParse(t, "--start-daemon", "backup", "--syncid", "9", "--mcast-group", "ff02::8:81", "--mcast-port", "9000", "--mcast-ttl", "3", "--sync-maxlen", "1500")
	if c.Daemon != (DaemonConfig{State: "backup", McastIfn: "eth0", SyncID: 9, SyncMaxLen: 1500,
		McastGroup: netip.MustParseAddr("ff02::8:81"), McastPort: 9000, McastTTL: 3}) {
		t.Errorf("daemon: %+v", c.Daemon)
	}
	c = mustParse(t, "--set", "3600", "0", "+60")
	if c.Timeouts != (api.Timeouts{TCP: 3600, UDP: 60}) {
		t.Errorf("--set: %+v", c.Timeouts)
	}
}
