package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.xlvsd != "./bin/xlvsd" || o.xlvsadm != "./bin/xlvsadm" || o.xlvsRS != "./bin/xlvs-rs" || o.noDirector ||
		o.realServers != 2 || o.queues != 1 || len(o.scenarios) != 0 || o.timeout != time.Minute {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parseFlags([]string{"--scenario", "fwmark", "--scenario", "dr"}, &bytes.Buffer{})
	if err != nil || !slices.Equal(o.scenarios, []string{"fwmark", "dr"}) {
		t.Errorf("--scenario twice: %+v, %v", o, err)
	}
	if o, err := parseFlags([]string{"--no-director"}, &bytes.Buffer{}); err != nil || !slices.Equal(o.scenarios, []string{"dr"}) {
		t.Errorf("--no-director alone runs dr only: %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"--queues", "0"}, {"--real-servers", "9"}, {"--conns", "0"}, {"extra"}, {"--no-such-flag"}, {"--timeout", "0s"},
		{"--scenario", "dr", "--scenario", "nosuch"}, {"--keep"}, {"--keep", "--scenario", "dr", "--scenario", "nat"},
		{"--no-director", "--scenario", "nat"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("parseFlags(%q) = %v, want a usage error", args, err)
		}
	}
	if _, err := parseFlags([]string{"--scenario", "nope", "--scenario", "dr", "--scenario", "tun"}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "unknown scenario nope, tun") {
		t.Errorf("unknown scenarios: %v", err)
	}
}

func TestSelectScenariosInTableOrder(t *testing.T) {
	all, err := selectScenarios(nil)
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	sel, err := selectScenarios([]string{"fwmark", "dr", "fwmark"})
	if err != nil || len(sel) != 2 || sel[0].name != "dr" || sel[1].name != "fwmark" {
		t.Errorf("select fwmark, dr: %+v, %v", sel, err)
	}
	seen := map[string]bool{}
	for _, s := range scenarios {
		if seen[s.name] || s.run == nil || s.title == "" {
			t.Errorf("scenario %q: duplicate, or no run or title", s.name)
		}
		seen[s.name] = true
	}
}

func TestMainCodeUsageAndList(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := mainCode([]string{"--list"}, &out, &errOut); code != 0 {
		t.Errorf("--list: exit %d", code)
	}
	for _, s := range scenarios {
		if !strings.Contains(out.String(), s.name+" ") || !strings.Contains(out.String(), s.title) {
			t.Errorf("--list lacks %s:\n%s", s.name, out.String())
		}
	}
	errOut.Reset()
	if code := mainCode([]string{"--scenario", "nope"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown scenario nope") {
		t.Errorf("unknown scenario: exit %d, %q", code, errOut.String())
	}
}

func TestSplitOK(t *testing.T) {
	for _, c := range []struct {
		got, weights []int
		workers      int
		want         bool
	}{
		{[]int{10, 10}, []int{1, 1}, 1, true},
		{[]int{11, 9}, []int{1, 1}, 1, false}, // one worker's rr is exact
		{[]int{11, 10}, []int{1, 1}, 1, true}, // a partial cycle
		{[]int{11, 9}, []int{1, 1}, 2, true},  // two workers, each a partial cycle off
		{[]int{12, 8}, []int{1, 1}, 2, false},
		{[]int{6, 14}, []int{1, 2}, 1, true}, // wrr 1:2 over 20: 6.7/13.3
		{[]int{7, 13}, []int{1, 2}, 1, true},
		{[]int{8, 12}, []int{1, 2}, 1, false},
		{[]int{10, 10}, []int{1, 2}, 1, false},
		{[]int{20, 0}, []int{1, 1}, 1, false},
		{[]int{4, 4, 4}, []int{1, 1, 1}, 2, true},
		{[]int{4, 4}, []int{1, 1, 1}, 1, false}, // a real server missing
	} {
		if got := splitOK(c.got, c.weights, c.workers); got != c.want {
			t.Errorf("splitOK(%v, weights %v, %d workers) = %v, want %v", c.got, c.weights, c.workers, got, c.want)
		}
	}
	if got := formatShares(shares(20, []int{1, 2})); got != "6.7/13.3" {
		t.Errorf("shares 20 over 1:2 = %s", got)
	}
	if got := formatShares(shares(20, []int{1, 1})); got != "10/10" {
		t.Errorf("shares 20 over 1:1 = %s", got)
	}
}

// listingStats and listingPersist are xlvsadm listings in ipvsadm's
// formats (SPEC.md §2.2-2.4: titles, "%-33s" service names, "  -> %-28s"
// real servers, trailing blanks).
const listingStats = `IP Virtual Server version 1.2.1 (size=1048576)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  198.18.0.100:80                    20      917        0  1030884        0
  -> 198.18.1.11:8080                    6      274      338   309208   312560
  -> 198.18.1.12:8080                   14      643      734   721676   726464
UDP  [fd00:18::100]:53                  20       20        0    11200        0
  -> [fd00:18:1::11]:5353                6        6        6     3360     3384
FWM  1 IPv6                             40     1998        0    2110K        0
  -> [fd00:18::11]:0                    20     1001        0    1055K        0
`

const listingPersist = `IP Virtual Server version 1.2.1 (size=1048576)
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:80 rr persistent 120
  -> 198.18.0.11:80               1         2           0          40        
  -> 198.18.0.12:80               1         3           0          40        
FWM  7 wlc persistent 60
  -> 198.18.0.11:0                3         1           2          0         
`

func TestParseListingColumns(t *testing.T) {
	rows := parseListing(listingStats)
	for _, c := range []struct {
		svc, server string
		col         int
		want        int64
		ok          bool
	}{
		{"TCP  198.18.0.100:80", "", statsConns, 20, true},
		{"TCP  198.18.0.100:80", "198.18.1.12:8080", statsConns, 14, true},
		{"TCP  198.18.0.100:80", "198.18.1.11:8080", statsOutPkts, 338, true},
		{"UDP  [fd00:18::100]:53", "[fd00:18:1::11]:5353", statsConns, 6, true},
		{"FWM  1 IPv6", "", statsConns, 40, true},
		{"FWM  1 IPv6", "[fd00:18::11]:0", 3, 0, false}, // 1055K: abbreviated
		{"TCP  198.18.0.100:80", "198.18.1.13:8080", statsConns, 0, false},
		{"UDP  198.18.0.100:53", "[fd00:18:1::11]:5353", statsConns, 0, false},
	} {
		n, ok := column(rows, c.svc, c.server, c.col)
		if n != c.want || ok != c.ok {
			t.Errorf("column(%q, %q, %d) = %d, %v; want %d, %v", c.svc, c.server, c.col, n, ok, c.want, c.ok)
		}
	}
	rows = parseListing(listingPersist)
	if n, ok := column(rows, "TCP  198.18.0.100:80", "198.18.0.12:80", persistPersistConn); n != 3 || !ok {
		t.Errorf("PersistConn of 198.18.0.12:80 = %d, %v", n, ok)
	}
	if n, ok := column(rows, "FWM  7", "198.18.0.11:0", persistPersistConn); n != 1 || !ok {
		t.Errorf("PersistConn of FWM 7's server = %d, %v", n, ok)
	}
}

func TestVirtualCommandsKeysAndListedAddresses(t *testing.T) {
	vs := vipServices(2, []string{"-s", "wrr"}, natRIP, []string{"-m"}, func(i int) int { return i + 1 })
	if len(vs) != 4 {
		t.Fatalf("%d services", len(vs))
	}
	got := vs[1].commands()
	want := [][]string{
		{"-A", "-t", "[fd00:18::100]:80", "-s", "wrr"},
		{"-a", "-t", "[fd00:18::100]:80", "-r", "[fd00:18:1::11]:8080", "-m", "-w", "1"},
		{"-a", "-t", "[fd00:18::100]:80", "-r", "[fd00:18:1::12]:8080", "-m", "-w", "2"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("commands = %q, want %q", got, want)
	}
	if k := vs[2].key(); k != "UDP  198.18.0.100:53" {
		t.Errorf("key = %q", k)
	}
	if l := vs[2].listed(vs[2].dests[1]); l != "198.18.1.12:5353" {
		t.Errorf("listed = %q", l)
	}
	tun := vipServices(1, []string{"-s", "rr"}, tunRIP, []string{"-i", "--tun-type", "gre"}, nil)
	if l := tun[1].listed(tun[1].dests[0]); l != "[fd00:18:1::11]:80" {
		t.Errorf("a tunnel real server without a port lists as %q, want the service's port", l)
	}
	fwm := virtual{flag: "-f", addr: "2", ipv6: true, proto: "udp", opts: []string{"-s", "rr"},
		dests: []dest{{name: "rs1", rip: "fd00:18::11", opts: []string{"-g"}}}}
	if k, l := fwm.key(), fwm.listed(fwm.dests[0]); k != "FWM  2 IPv6" || l != "[fd00:18::11]:0" {
		t.Errorf("fwmark key %q, listed %q", k, l)
	}
	if got := fwm.commands()[1]; !slices.Equal(got, []string{"-a", "-f", "2", "-6", "-r", "fd00:18::11", "-g"}) {
		t.Errorf("fwmark real server command %q", got)
	}
	if schedulerOf(fwm) != "rr" || schedulerOf(virtual{}) != "wlc" || fwm.protocol() != "udp" {
		t.Error("schedulerOf/protocol")
	}
}

func TestStuckTo(t *testing.T) {
	rep := labtraffic.Report{Targets: []labtraffic.Target{
		{Proto: "tcp", OK: 5, PerServer: map[string]int{"rs2": 5}},
		{Proto: "udp", OK: 5, PerServer: map[string]int{"rs1": 4, "rs2": 1}},
	}}
	if got := stuckTo(rep, "tcp"); got != "rs2" {
		t.Errorf("tcp stuck to %q", got)
	}
	if got := stuckTo(rep, "udp"); got != "" {
		t.Errorf("udp answered by two servers reported stuck to %q", got)
	}
	rep.Targets[0].Failed = 1
	if got := stuckTo(rep, "tcp"); got != "" {
		t.Errorf("a failed round still counts as stuck: %q", got)
	}
}

func TestResultsSummaryAndFinalLine(t *testing.T) {
	pass := result{name: "dr", checks: []check{{true, "a"}, {true, "b"}}, duration: 1500 * time.Millisecond}
	failCheck := result{name: "nat", checks: []check{{true, "a"}, {false, "replies"}}, duration: time.Second}
	failStep := result{name: "tun-gue", err: errors.New("rs1: xlvs-rs up: exit status 1\n    detail"), duration: time.Second}
	empty := result{name: "persist"}
	if !pass.passed() || failCheck.passed() || failStep.passed() || empty.passed() {
		t.Error("passed()")
	}
	if got := finalLine([]result{pass}); got != "xlvs-lab: PASS" {
		t.Errorf("final line %q", got)
	}
	if got := finalLine([]result{pass, failCheck, failStep, empty}); got != "xlvs-lab: FAIL (nat, tun-gue, persist)" {
		t.Errorf("final line %q", got)
	}
	if got := finalLine(nil); !strings.HasPrefix(got, "xlvs-lab: FAIL") {
		t.Errorf("final line of nothing %q", got)
	}
	if allPassed(nil) || !allPassed([]result{pass}) || allPassed([]result{pass, failCheck}) {
		t.Error("allPassed")
	}
	var b bytes.Buffer
	printSummary(&b, []result{pass, failCheck, failStep})
	want := "\nsummary:\n" +
		"  dr              1.5s  PASS\n" +
		"  nat             1.0s  FAIL: 1 of 2 checks\n" +
		"  tun-gue         1.0s  FAIL: rs1: xlvs-rs up: exit status 1\n"
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	printChecks(&b, failCheck)
	if want := "\nchecks:\n  ok   a\n  FAIL replies\n--- nat: FAIL (1.0s)\n"; b.String() != want {
		t.Errorf("checks:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printChecks(&b, empty)
	if !strings.Contains(b.String(), "--- persist: FAIL (nothing was checked)") {
		t.Errorf("checks of nothing: %q", b.String())
	}
}

func TestPrintTraffic(t *testing.T) {
	rep := labtraffic.Report{Targets: []labtraffic.Target{
		{Proto: "tcp", Addr: "198.18.0.100:80", OK: 20, PerServer: map[string]int{"rs1": 6, "rs2": 14}},
		{Proto: "udp", Addr: "[fd00:18::100]:53", OK: 19, Failed: 1, PerServer: map[string]int{"rs1": 19}, Errors: []string{"no answer"}},
	}}
	var b bytes.Buffer
	printTraffic(&b, "traffic:", rep, []string{"rs1", "rs2"})
	want := "\ntraffic:\n" +
		"  target                 ok  failed  rs1  rs2\n" +
		"  tcp 198.18.0.100:80    20       0    6   14\n" +
		"  udp [fd00:18::100]:53  19       1   19    0\n" +
		"    udp [fd00:18::100]:53: no answer\n"
	if b.String() != want {
		t.Errorf("traffic table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"xlvsd", "--mark", "tcp 198.18.0.100/32 80,8080 1", "-t", "[fd00::1]:80", "it's", ""})
	want := `xlvsd --mark 'tcp 198.18.0.100/32 80,8080 1' -t '[fd00::1]:80' 'it'\''s' ''`
	if got != want {
		t.Errorf("shellJoin = %s\nwant        %s", got, want)
	}
}

func TestPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	p := &prefixWriter{w: &b, prefix: "xlvsd: "}
	p.Write([]byte("one\ntw"))
	p.Write([]byte("o\nthree"))
	if got := b.String(); got != "xlvsd: one\nxlvsd: two\n" {
		t.Errorf("before Flush: %q", got)
	}
	p.Flush()
	if got := b.String(); got != "xlvsd: one\nxlvsd: two\nxlvsd: three\n" {
		t.Errorf("after Flush: %q", got)
	}
}
