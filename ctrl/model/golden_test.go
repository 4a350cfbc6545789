package model_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// The files in testdata were written from the output rules of ipvsadm.c
// (the project's ipvsadm spec, §2): they hold what the real ipvsadm
// prints for the configuration below. ctrl/ipvsadm's own golden tests
// prove its formatter byte-exact against the real binary; these prove
// that the model's data (defaults, order, counters, errors) gets through
// it intact.

// inProcess is an ipvsadm.Client that hands requests to a model, through
// the same JSON encoding the control socket uses.
type inProcess struct{ m *model.Model }

func (c inProcess) Do(req *api.Request) (*api.Response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var wireReq api.Request
	if err := json.Unmarshal(b, &wireReq); err != nil {
		return nil, err
	}
	if b, err = json.Marshal(c.m.Do(&wireReq)); err != nil {
		return nil, err
	}
	var resp api.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

type result struct {
	stdout, stderr string
	rc             int
}

// ipvsadmRun runs one ipvsadm command line against h's model through
// ipvsadm.Main; stdin feeds -R.
func ipvsadmRun(h *harness, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	dial := func() (ipvsadm.Client, error) { return inProcess{h.m}, nil }
	rc := ipvsadm.Main("ipvsadm", args, strings.NewReader(stdin), &out, &errb, dial)
	return result{out.String(), errb.String(), rc}
}

// ipvsadmNames runs a command line with the names of testNames.
func ipvsadmNames(h *harness, args ...string) result {
	var out, errb bytes.Buffer
	e := &ipvsadm.Env{Stdout: &out, Stderr: &errb, Names: testNames{},
		Dial: func() (ipvsadm.Client, error) { return inProcess{h.m}, nil }}
	rc := e.Run("ipvsadm", args)
	return result{out.String(), errb.String(), rc}
}

// testNames is a tiny hosts file and services database.
type testNames struct{}

var testHosts = map[string]string{"198.18.0.1": "www.example", "198.18.1.1": "rs1.example"}

func (testNames) HostAddr(name string) (netip.Addr, bool) {
	for a, n := range testHosts {
		if n == name {
			return netip.MustParseAddr(a), true
		}
	}
	return netip.Addr{}, false
}

func (testNames) HostName(a netip.Addr) string { return testHosts[a.String()] }

func (testNames) Port(name, proto string) (uint16, bool) {
	for p, n := range map[uint16]string{80: "http", 443: "https", 53: "domain"} {
		if n == name && (proto == "tcp" || p == 53) {
			return p, true
		}
	}
	return 0, false
}

func (testNames) PortName(port uint16, proto string) string {
	switch {
	case port == 80 && proto == "tcp":
		return "http"
	case port == 443 && proto == "tcp":
		return "https"
	case port == 53 && proto == "udp":
		return "domain"
	}
	return ""
}

// scenario is a DR-only configuration: IPv4 and IPv6, TCP and UDP, rr,
// wrr and the default wlc, weights including 0, services added out of
// their sorted order.
var scenario = [][]string{
	{"-A", "-u", "198.18.0.2:53"},
	{"-a", "-u", "198.18.0.2:53", "-r", "198.18.1.4", "-w", "2"},
	{"-a", "-u", "198.18.0.2:53", "-r", "198.18.1.5:5353", "-w", "1"}, // DR: ipvsadm forces :53
	{"-A", "-t", "198.18.0.1:80", "-s", "rr"},
	{"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.2", "-g", "-w", "1"},
	{"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1", "-w", "3"},
	{"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.3", "-w", "0"},
	{"-A", "-t", "[2001:db8::1]:80", "-s", "wlc"},
	{"-a", "-t", "[2001:db8::1]:80", "-r", "[2001:db8:1::2]:80", "-w", "2"},
	{"-a", "-t", "[2001:db8::1]:80", "-r", "2001:db8:1::1", "-w", "1"},
	{"-A", "-t", "198.18.0.1:443", "-s", "wrr"},
	{"-a", "-t", "198.18.0.1:443", "-r", "198.18.1.1", "-w", "5"},
	{"-a", "-t", "198.18.0.1:443", "-r", "198.18.1.2", "-w", "10", "-x", "100", "-y", "10"},
	{"-A", "-u", "[2001:db8::53]:53", "-s", "rr"},
	{"-a", "-u", "[2001:db8::53]:53", "-r", "[2001:db8:1::53]:53", "-w", "1"},
}

// scenarioStats are the dataplane's counters per real server.
var scenarioStats = []struct {
	svc  api.ServiceKey
	addr string
	port uint16
	st   engine.DestStats
}{
	{tcp("198.18.0.1", 80), "198.18.1.1", 80, engine.DestStats{ActiveConns: 7, InactConns: 3, Conns: 8000, InPkts: 50000000, OutPkts: 49999999, InBytes: 123456789012, OutBytes: 98765432109876}},
	{tcp("198.18.0.1", 80), "198.18.1.2", 80, engine.DestStats{ActiveConns: 1, InactConns: 12, Conns: 4345, InPkts: 49999999, OutPkts: 50000001, InBytes: 8765432101234, OutBytes: 1234567890123456}},
	{tcp("198.18.0.1", 443), "198.18.1.1", 443, engine.DestStats{ActiveConns: 1500, InactConns: 20, Conns: 1, InPkts: 2, OutPkts: 3, InBytes: 4, OutBytes: 5}},
	{tcp("198.18.0.1", 443), "198.18.1.2", 443, engine.DestStats{ActiveConns: 2000, Conns: 1, InPkts: 2, OutPkts: 3, InBytes: 4, OutBytes: 5}},
	{udp("198.18.0.2", 53), "198.18.1.4", 53, engine.DestStats{InactConns: 5, Conns: 70, InPkts: 80, InBytes: 9000}},
	{tcp("2001:db8::1", 80), "2001:db8:1::1", 80, engine.DestStats{ActiveConns: 3, InactConns: 4, Conns: 500, InPkts: 1000, InBytes: 150000}},
	{tcp("2001:db8::1", 80), "2001:db8:1::2", 80, engine.DestStats{ActiveConns: 1, Conns: 500, InPkts: 1000, InBytes: 150000}},
}

// loadScenario configures a fresh model through ipvsadm and sets the
// counters of its real servers.
func loadScenario(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	for _, args := range scenario {
		if r := ipvsadmRun(h, "", args...); r != (result{}) {
			t.Fatalf("ipvsadm %s: %+v", strings.Join(args, " "), r)
		}
	}
	// The dataplane counts each packet for its real server and its service.
	sums := map[uint32]engine.ServiceStats{}
	for _, s := range scenarioStats {
		h.st.SetDest(destSlot(t, h.last(), s.svc, s.addr, s.port), s.st)
		slot := snapService(t, h.last(), s.svc).ID
		x := sums[slot]
		x.Conns += s.st.Conns
		x.InPkts += s.st.InPkts
		x.OutPkts += s.st.OutPkts
		x.InBytes += s.st.InBytes
		x.OutBytes += s.st.OutBytes
		sums[slot] = x
	}
	for slot, x := range sums {
		h.st.SetService(slot, x)
	}
	return h
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIpvsadmListings(t *testing.T) {
	h := loadScenario(t)
	cases := []struct {
		args  []string
		file  string
		names bool
	}{
		{[]string{"-L", "-n"}, "L_n.stdout", false},
		{[]string{"-L"}, "L.stdout", true},
		{[]string{"-L", "-n", "--nosort"}, "L_n_nosort.stdout", false},
		{[]string{"-L", "-n", "--stats"}, "L_n_stats.stdout", false},
		{[]string{"-L", "-n", "--stats", "--exact"}, "L_n_stats_exact.stdout", false},
		{[]string{"-L", "-n", "--thresholds"}, "L_n_thresholds.stdout", false},
		{[]string{"-L", "-n", "-t", "198.18.0.1:80"}, "L_n_svc.stdout", false},
		{[]string{"-L", "-n", "--stats", "-t", "[2001:db8::1]:80"}, "L_n_svc6_stats.stdout", false},
		{[]string{"-S", "-n"}, "S_n.stdout", false},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var r result
			if c.names {
				r = ipvsadmNames(h, c.args...)
			} else {
				r = ipvsadmRun(h, "", c.args...)
			}
			if want := golden(t, c.file); r.stdout != want || r.stderr != "" || r.rc != 0 {
				t.Errorf("rc %d, stderr %q, stdout:\n%s\nwant rc 0, no stderr, stdout (%s):\n%s", r.rc, r.stderr, r.stdout, c.file, want)
			}
		})
	}
}

// TestIpvsadmSaveRestore feeds -S's rules to -R on an empty model: the
// same configuration comes out.
func TestIpvsadmSaveRestore(t *testing.T) {
	saved := golden(t, "S_n.stdout")
	h := newHarness(t)
	if r := ipvsadmRun(h, saved, "-R"); r != (result{}) {
		t.Fatalf("ipvsadm -R: %+v", r)
	}
	if r := ipvsadmRun(h, "", "-S", "-n"); r.stdout != saved || r.rc != 0 {
		t.Errorf("-S after -R:\n%s\nwant:\n%s", r.stdout, saved)
	}
	if r := ipvsadmRun(h, "", "-C"); r != (result{}) {
		t.Fatalf("ipvsadm -C: %+v", r)
	}
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	if r := ipvsadmRun(h, "", "-L", "-n"); r.stdout != want {
		t.Errorf("-L -n after -C:\n%s", r.stdout)
	}
}

func TestIpvsadmErrors(t *testing.T) {
	h := loadScenario(t)
	published := h.published()
	cases := []struct {
		args   string
		rc     int
		stderr string
	}{
		// ipvsadm's own check, before any request.
		{"-A -t 198.18.0.3:0 -s rr", 2, "Zero port specified for non-persistent service"},
		{"-a -t 198.18.0.1:80 -r 2001:db8:1::7", 2, "Different address family is allowed only for tunneling servers"},
		// Refused by the model with ipvs_strerror's texts.
		{"-A -t 198.18.0.1:80 -s wlc", 255, "Service already exists"},
		{"-A -t 198.18.0.1:80 -s bogus", 255, "Service already exists"},
		{"-A -t 198.18.0.5:80 -s bogus", 255, "Scheduler or persistence engine not found"},
		{"-E -t 198.18.0.5:80 -s rr", 255, "No such service"},
		{"-E -t 198.18.0.1:80 -s bogus", 255, "Scheduler or persistence engine not found"},
		{"-D -t 198.18.0.5:80", 255, "No such service"},
		{"-D -u 198.18.0.1:80", 255, "No such service"},
		{"-a -t 198.18.0.5:80 -r 198.18.1.1", 255, "Service not defined"},
		{"-a -t 198.18.0.1:80 -r 198.18.1.1", 255, "Destination already exists"},
		{"-e -t 198.18.0.5:80 -r 198.18.1.1", 255, "Service not defined"},
		{"-e -t 198.18.0.1:80 -r 198.18.1.9", 255, "No such destination"},
		{"-d -t 198.18.0.1:80 -r 198.18.1.9", 255, "No such destination"},
		{"-d -t 198.18.0.5:80 -r 198.18.1.1", 255, "Service not defined"},
		{"-a -t 198.18.0.1:80 -r 198.18.1.7 -x 10 -y 20", 255, "Numerical result out of range"},
		{"-a -t 198.18.0.1:80 -r 198.18.1.7 -y 20", 255, "Numerical result out of range"},
		{"-a -t 198.18.0.1:80 -r 0.0.0.0", 255, msgInvalid},
		{"-A -t 224.0.0.1:80", 255, msgInvalid},
		{"-L -n -t 198.18.0.5:80", 1, "No such service"},
		// Known to ipvsadm, refused by xlvs.
		{"-A -t 198.18.0.3:80 -o", 2, "One-Packet Scheduling is only for UDP virtual services"},
		{"-A -t [2001:db8::9]:80 -p -M 129", 2, "illegal ipv6 netmask specified"},
		{"-A -f 0", 2, "invalid fwmark value `0' specified"},
	}
	for _, c := range cases {
		t.Run(c.args, func(t *testing.T) {
			r := ipvsadmRun(h, "", strings.Fields(c.args)...)
			if r.rc != c.rc || r.stderr != c.stderr+"\n" || r.stdout != "" {
				t.Errorf("rc %d stderr %q stdout %q, want rc %d stderr %q", r.rc, r.stderr, r.stdout, c.rc, c.stderr+"\n")
			}
		})
	}
	if h.published() != published {
		t.Errorf("refused commands published %d snapshots", h.published()-published)
	}
	if r := ipvsadmRun(h, "", "-S", "-n"); r.stdout != golden(t, "S_n.stdout") {
		t.Errorf("refused commands changed the configuration:\n%s", r.stdout)
	}
}

// TestIpvsadmEditReplaces checks -E and -e: every attribute not given goes
// back to its default.
func TestIpvsadmEditReplaces(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.9", 8080)
	steps := []struct {
		args, stdout string
		after        func()
	}{
		{"-A -t 198.18.0.9:8080 -s rr -b flag-1", "", nil},
		{"-a -t 198.18.0.9:8080 -r 198.18.1.9 -w 50 -x 100 -y 10", "", nil},
		{"-a -t 198.18.0.9:8080 -r 198.18.1.8 -w 7", "", nil},
		{"-S -n", "-A -t 198.18.0.9:8080 -s rr -b flag-1\n" +
			"-a -t 198.18.0.9:8080 -r 198.18.1.8:8080 -g -w 7\n" +
			"-a -t 198.18.0.9:8080 -r 198.18.1.9:8080 -g -w 50\n", nil},
		{"-L -n --thresholds -t 198.18.0.9:8080", "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  198.18.0.9:8080 rr (flag-1)\n" +
			"  -> 198.18.1.8:8080              0          0          0          0         \n" +
			"  -> 198.18.1.9:8080              100        10         0          0         \n", nil},
		{"-E -t 198.18.0.9:8080", "", nil},
		{"-e -t 198.18.0.9:8080 -r 198.18.1.9", "", nil},
		{"-S -n", "-A -t 198.18.0.9:8080 -s wlc\n" +
			"-a -t 198.18.0.9:8080 -r 198.18.1.8:8080 -g -w 7\n" +
			"-a -t 198.18.0.9:8080 -r 198.18.1.9:8080 -g -w 1\n", nil},
		{"-L -n --thresholds -t 198.18.0.9:8080", "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n" +
			"TCP  198.18.0.9:8080 wlc\n" +
			"  -> 198.18.1.8:8080              0          0          0          0         \n" +
			"  -> 198.18.1.9:8080              0          0          0          0         \n", nil},
		{"-d -t 198.18.0.9:8080 -r 198.18.1.8", "", nil},
		{"-E -t 198.18.0.9:8080 -s sh -b sh-port", "", func() {
			if ss := snapService(t, h.last(), k); ss.Sched != "sh" || ss.SchedFlags != api.SvcSched2 || len(ss.Dests) != 1 {
				t.Errorf("snapshot after -E -s sh -b sh-port: %q %#x dests %v", ss.Sched, ss.SchedFlags, ss.Dests)
			}
		}},
		{"-L -n -t 198.18.0.9:8080", "Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
			"TCP  198.18.0.9:8080 sh (sh-port)\n" +
			"  -> 198.18.1.9:8080              Route   1      0          0         \n", nil},
		{"-D -t 198.18.0.9:8080", "", nil},
		{"-S -n", "", nil},
	}
	for _, s := range steps {
		r := ipvsadmRun(h, "", strings.Fields(s.args)...)
		if r.rc != 0 || r.stderr != "" || r.stdout != s.stdout {
			t.Errorf("ipvsadm %s: rc %d stderr %q stdout:\n%s\nwant:\n%s", s.args, r.rc, r.stderr, r.stdout, s.stdout)
		}
		if s.after != nil {
			s.after()
		}
	}
}
