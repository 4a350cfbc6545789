package ipvsadm

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

func TestDpvsParse(t *testing.T) {
	k80 := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	k6 := api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 53}
	lip := netip.MustParseAddr("192.168.1.1")
	tests := []struct {
		args   []string
		cmd    Cmd
		key    api.ServiceKey
		laddr  api.LocalAddr
		method api.Method
		port   uint16
		client string
		flags  uint32
	}{
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "192.168.1.1", "-F", "dpdk0"}, CmdAddLaddr, k80, api.LocalAddr{Addr: lip, Ifname: "dpdk0"}, api.MethodRoute, 0, "", 0},
		{[]string{"--add-laddr", "--tcp-service=10.0.0.1:80", "--laddr=192.168.1.1"}, CmdAddLaddr, k80, api.LocalAddr{Addr: lip}, api.MethodRoute, 0, "", 0},
		{[]string{"-Q", "-u", "[2001:db8::1]:53", "-z", "2001:db8::200"}, CmdDelLaddr, k6, api.LocalAddr{Addr: netip.MustParseAddr("2001:db8::200")}, api.MethodRoute, 0, "", 0},
		{[]string{"-G"}, CmdGetLaddr, api.ServiceKey{}, api.LocalAddr{}, api.MethodRoute, 0, "", 0},
		{[]string{"--get-laddr", "-t", "10.0.0.1:80", "-n"}, CmdGetLaddr, k80, api.LocalAddr{}, api.MethodRoute, 0, "", 0},
		// -b is --fullnat in real-server commands, bundled or not.
		{[]string{"-a", "-t", "10.0.0.1:80", "-r", "192.168.2.1:8080", "-b"}, CmdAddServer, k80, api.LocalAddr{}, api.MethodFullNAT, 8080, "", 0},
		{[]string{"-a", "-t", "10.0.0.1:80", "-r", "192.168.2.1", "-bw3"}, CmdAddServer, k80, api.LocalAddr{}, api.MethodFullNAT, 80, "", 0},
		{[]string{"-e", "-t", "10.0.0.1:80", "-r", "192.168.2.1:81", "-b", "-w", "0"}, CmdEditServer, k80, api.LocalAddr{}, api.MethodFullNAT, 81, "", 0},
		// In service commands -b keeps ipvsadm's meaning.
		{[]string{"-A", "-t", "10.0.0.1:80", "-s", "sh", "-b", "sh-port"}, CmdAddService, k80, api.LocalAddr{}, api.MethodRoute, 0, "", api.SvcSched2},
		{[]string{"-A", "-t", "10.0.0.1:80", "--toa"}, CmdAddService, k80, api.LocalAddr{}, api.MethodRoute, 0, api.ClientAddrTOA, 0},
		{[]string{"-E", "-u", "[2001:db8::1]:53", "--proxy-protocol", "v2"}, CmdEditService, k6, api.LocalAddr{}, api.MethodRoute, 0, api.ClientAddrProxyV2, 0},
		{[]string{"-A", "-t", "10.0.0.1:80", "--proxy-protocol=disable"}, CmdAddService, k80, api.LocalAddr{}, api.MethodRoute, 0, "", 0},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.args...)
		if c.Cmd != tt.cmd || c.Service.Key != tt.key || c.Laddr != tt.laddr || c.Service.ClientAddr != tt.client || c.Service.Flags != tt.flags {
			t.Errorf("%v: cmd %v key %v laddr %+v client %q flags %#x", tt.args, c.Cmd, c.Service.Key, c.Laddr, c.Service.ClientAddr, c.Service.Flags)
		}
		if tt.cmd == CmdAddServer || tt.cmd == CmdEditServer {
			if c.Dest.Method != tt.method || c.Dest.Port != tt.port {
				t.Errorf("%v: dest %+v", tt.args, c.Dest)
			}
		}
	}
	if c := mustParse(t, "-a", "-t", "10.0.0.1:80", "-r", "192.168.2.1", "-bw3"); c.Dest.Weight != 3 {
		t.Errorf("-bw3: weight %d", c.Dest.Weight)
	}
}

func TestDpvsParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"-P", "-t", "10.0.0.1:80"}, "You need to supply the 'laddr' option for the 'add-laddr' command"},
		{[]string{"-Q", "-z", "192.168.1.1"}, "You need to supply the 'service-address' option for the 'del-laddr' command"},
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "192.168.1.1", "-s", "rr"}, "Illegal 'scheduler' option with the 'add-laddr' command"},
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "192.168.1.1", "-n"}, "Illegal 'numeric' option with the 'add-laddr' command"},
		{[]string{"-G", "-z", "192.168.1.1"}, "Illegal 'laddr' option with the 'get-laddr' command"},
		{[]string{"-G", "-F", "dpdk0"}, "Illegal 'ifname' option with the 'get-laddr' command"},
		{[]string{"-G", "--toa"}, "Illegal 'toa' option with the 'get-laddr' command"},
		{[]string{"-A", "-t", "10.0.0.1:80", "-z", "192.168.1.1"}, "Illegal 'laddr' option with the 'add-service' command"},
		{[]string{"-L", "-F", "dpdk0"}, "Illegal 'ifname' option with the 'list' command"},
		{[]string{"-a", "-t", "10.0.0.1:80", "-r", "192.168.2.1", "--toa"}, "Illegal 'toa' option with the 'add-server' command"},
		{[]string{"-A", "-t", "10.0.0.1:80", "--toa", "--proxy-protocol", "v2"}, "The option 'proxy-protocol' conflicts with the 'toa' option in the 'add-service' command"},
		{[]string{"-A", "-t", "10.0.0.1:80", "--proxy-protocol", "v1"}, "PROXY protocol v1 is not supported by xlvs: use v2"},
		{[]string{"-A", "-t", "10.0.0.1:80", "--proxy-protocol", "v3"}, "invalid proxy protocol `v3' specified"},
		{[]string{"-A", "-t", "10.0.0.1:80", "--toa", "--toa"}, "multiple 'toa' options specified"},
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "bogus"}, "illegal local address specified"},
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "192.168.1.1", "-z", "192.168.1.2"}, "multiple 'laddr' options specified"},
		{[]string{"-P", "-t", "10.0.0.1:80", "-z", "192.168.1.1", "-F", ""}, "illegal ifname specified"},
		{[]string{"-P", "-f", "1", "-z", "192.168.1.1"}, "local addresses need a -t or -u service"},
		{[]string{"-a", "-t", "10.0.0.1:80", "-r", "192.168.2.1", "-b", "-m"}, "multiple 'forwarding-method' options specified"},
		{[]string{"-d", "-t", "10.0.0.1:80", "-r", "192.168.2.1", "-b"}, "Illegal 'forwarding-method' option with the 'delete-server' command"},
		{[]string{"-A", "-t", "10.0.0.1:80", "-b"}, "-b: missing argument"},
	}
	for _, tt := range tests {
		if msg, _ := parseErr(t, tt.args...); msg != tt.msg {
			t.Errorf("%v: %q, want %q", tt.args, msg, tt.msg)
		}
	}
}

func TestListLaddrs(t *testing.T) {
	var b bytes.Buffer
	k4 := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("192.168.100.254"), Port: 80}
	k6 := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 443}
	ListLaddrs(&b, k4, []api.LocalAddr{
		{Addr: netip.MustParseAddr("192.168.100.200"), Conns: 12, PortConflicts: 0},
		{Addr: netip.MustParseAddr("192.168.100.201"), Conns: 7, PortConflicts: 3},
	}, true)
	ListLaddrs(&b, k6, nil, false)
	want := "VIP:VPORT            TOTAL    SNAT_IP              CONFLICTS  CONNS\n" +
		"192.168.100.254:80   2       \n" +
		"                     192.168.100.200      0          12        \n" +
		"                     192.168.100.201      3          7         \n" +
		"[2001:db8::1]:443    0       \n"
	if b.String() != want {
		t.Errorf("-G listing:\n%s\nwant:\n%s", strings.ReplaceAll(b.String(), " ", "·"), strings.ReplaceAll(want, " ", "·"))
	}
}

// modelClient runs requests on an in-process model, as xlvsd would.
type modelClient struct{ m *model.Model }

func (c modelClient) Do(req *api.Request) (*api.Response, error) { return c.m.Do(req), nil }

// TestDpvsCommands runs DPVS's FULLNAT commands through the real model.
func TestDpvsCommands(t *testing.T) {
	m := model.New(model.Config{
		Links:   []snapshot.Link{{IfIndex: 3}},
		IfIndex: func(name string) int { return map[string]int{"dpdk0": 3}[name] },
	})
	env := &Env{Names: loadTestNames(t), Dial: func() (Client, error) { return modelClient{m}, nil }}
	run := func(line string) (string, string, int) {
		var out, errb bytes.Buffer
		env.Stdout, env.Stderr = &out, &errb
		code := env.Run("ipvsadm", strings.Fields(line))
		return out.String(), errb.String(), code
	}
	for _, line := range []string{
		"-A -t 192.168.100.254:80 -s rr --toa",
		"-a -t 192.168.100.254:80 -r 192.168.200.11:8080 -b",
		"-a -t 192.168.100.254:80 -r 192.168.200.12:8080 --fullnat -w 2",
		"-P -t 192.168.100.254:80 -z 192.168.100.200 -F dpdk0",
		"-P -t 192.168.100.254:80 -z 192.168.100.201",
		"-A -u 192.168.100.254:53 -s rr --proxy-protocol v2",
	} {
		if out, errs, code := run(line); code != 0 || out != "" || errs != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", line, code, out, errs)
		}
	}
	out, _, code := run("-G")
	want := "VIP:VPORT            TOTAL    SNAT_IP              CONFLICTS  CONNS\n" +
		"192.168.100.254:80   2       \n" +
		"                     192.168.100.200      0          0         \n" +
		"                     192.168.100.201      0          0         \n" +
		"192.168.100.254:53   0       \n"
	if code != 0 || out != want {
		t.Errorf("-G: exit %d\n%s\nwant\n%s", code, out, want)
	}
	if out, _, _ := run("-G -t 192.168.100.254:80"); out != want[:len(want)-len("192.168.100.254:53   0       \n")] {
		t.Errorf("-G -t:\n%s", out)
	}
	out, _, _ = run("-L -n")
	for _, s := range []string{
		"TCP  192.168.100.254:80 rr toa\n",
		"  -> 192.168.200.12:8080          FullNat 2      0          0         \n",
		"  -> 192.168.200.11:8080          FullNat 1      0          0         \n",
		"UDP  192.168.100.254:53 rr proxy-protocol v2\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("-L -n lacks %q:\n%s", s, out)
		}
	}
	out, _, _ = run("-S -n")
	for _, s := range []string{
		"-A -t 192.168.100.254:80 -s rr --toa\n",
		"-a -t 192.168.100.254:80 -r 192.168.200.11:8080 --fullnat -w 1\n",
		"-A -u 192.168.100.254:53 -s rr --proxy-protocol v2\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("-S -n lacks %q:\n%s", s, out)
		}
	}
	refusals := []struct {
		line, stderr string
		code         int
	}{
		{"-P -t 192.168.100.254:80 -z 192.168.100.200", "Local address already exists\n", 255},
		{"-P -t 192.168.100.254:81 -z 192.168.100.202", "No such service\n", 255},
		{"-P -t 192.168.100.254:80 -z 2001:db8::200", "Operation not supported with specified address family\n", 255},
		{"-P -t 192.168.100.254:80 -z 192.168.100.202 -F eth9", "No such device\n", 255},
		{"-Q -t 192.168.100.254:80 -z 192.168.100.202", "No such local address\n", 255},
		{"-G -t 192.168.100.254:81", "No such service\n", 1},
		{"-A -u 192.168.100.254:54 --toa", "TOA carries the client address in a TCP option: it needs a TCP service\n", 255},
	}
	for _, r := range refusals {
		if out, errs, code := run(r.line); code != r.code || errs != r.stderr || out != "" {
			t.Errorf("%s: exit %d stderr %q stdout %q, want %d %q", r.line, code, errs, out, r.code, r.stderr)
		}
	}
	if _, errs, code := run("-Q -t 192.168.100.254:80 -z 192.168.100.200"); code != 0 || errs != "" {
		t.Fatalf("-Q: %d %q", code, errs)
	}
	if out, _, _ := run("-G -t 192.168.100.254:80"); !strings.Contains(out, "192.168.100.254:80   1") || strings.Contains(out, "192.168.100.200") {
		t.Errorf("after -Q:\n%s", out)
	}
}
