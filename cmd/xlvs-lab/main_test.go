package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// labNamespaces lists the xlvs-lab namespaces present.
func labNamespaces(t *testing.T) []string {
	t.Helper()
	ents, _ := os.ReadDir(netlab.RunDir)
	var names []string
	for _, e := range ents {
		if strings.Contains(e.Name(), "-xlvslab-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func checkRemoved(t *testing.T, before []string) {
	t.Helper()
	for _, n := range labNamespaces(t) {
		if !slices.Contains(before, n) {
			t.Errorf("namespace %s left behind", n)
		}
	}
}

func TestNoDirectorSmoke(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, err := parseFlags([]string{"--no-director", "--conns", "3", "--datagrams", "4"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out, logs bytes.Buffer
	results, err := run(context.Background(), o, &out, &logs)
	if err != nil || len(results) != 1 || !results[0].passed() {
		t.Fatalf("run: %v %+v\n%s\n%s", err, results, out.String(), logs.String())
	}
	for _, want := range []string{"tcp 198.18.0.12:80", "ok   udp [fd00:18::11]:53 answered only by rs1", "--- dr: PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkRemoved(t, before)
}

// TestFakeDirectorIsConfiguredAndStopped: the nat scenario against an
// xlvsd that does not forward starts it with both interfaces, configures
// it with xlvsadm, lists, fails its checks (the traffic cannot get
// through), stops xlvsd with SIGTERM and removes the lab; the exit status
// is 1 and the last line names the scenario.
func TestFakeDirectorIsConfiguredAndStopped(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, mark, _ := fakes(t, "ok", "nat")
	var out bytes.Buffer
	logs := &syncBuffer{}
	results, err := run(context.Background(), o, &out, logs)
	if err != nil || len(results) != 1 {
		t.Fatalf("run: %v %+v", err, results)
	}
	r := results[0]
	if r.err != nil || r.passed() || r.failedChecks() == 0 {
		t.Errorf("nat with a director that does not forward: err %v, %d of %d checks failed; want failed checks only",
			r.err, r.failedChecks(), len(r.checks))
	}
	for _, want := range []string{
		"director# xlvsd --interface eth0 --interface eth1 &",
		"director# xlvsadm -A -t 198.18.0.100:80 -s wrr",
		"director# xlvsadm -a -u '[fd00:18::100]:53' -r '[fd00:18:1::12]:5353' -m -w 2",
		"director# xlvsadm -L -n\n" + fakeList,
		"FAIL 0 of 8 round-trips answered",
		"--- nat: FAIL",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(logs.String(), "xlvsd: fake director up") {
		t.Errorf("xlvsd's log was not shown for the failed scenario:\n%s", logs.String())
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != "SIGTERM" {
		t.Errorf("fake xlvsd was not stopped with SIGTERM (mark %q, %v)", b, err)
	}
	if got := finalLine(results); got != "xlvs-lab: FAIL (nat)" {
		t.Errorf("final line %q", got)
	}
	checkRemoved(t, before)
}

func TestDirectorDyingFailsTheRun(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, _, _ := fakes(t, "die", "nat")
	results, err := run(context.Background(), o, &bytes.Buffer{}, &syncBuffer{})
	if err != nil || len(results) != 1 {
		t.Fatalf("run: %v %+v", err, results)
	}
	if err := results[0].err; !errors.Is(err, errDirectorDied) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("nat with a crashing director: %v, want errDirectorDied saying how xlvsd exited", err)
	}
	checkRemoved(t, before)
}

func TestXlvsadmRefusalFailsTheScenarioNotTheNext(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, mark, _ := fakes(t, "refuse", "dr", "nat")
	var out bytes.Buffer
	results, err := run(context.Background(), o, &out, &syncBuffer{})
	if err != nil || len(results) != 2 {
		t.Fatalf("run: %v %+v", err, results)
	}
	for _, r := range results {
		if r.err == nil || !errors.Is(r.err, errStep) || !strings.Contains(r.err.Error(), "Memory allocation problem") {
			t.Errorf("%s with a refusing xlvsadm: %v", r.name, r.err)
		}
	}
	if !strings.Contains(results[1].err.Error(), "xlvsadm -a -t 198.18.0.100:80 -r 198.18.1.11:8080 -m -w 1") {
		t.Errorf("the error does not name the refused command: %v", results[1].err)
	}
	if b, _ := os.ReadFile(mark); string(b) != "SIGTERM" {
		t.Error("fake xlvsd was not stopped after the failed step")
	}
	if got := finalLine(results); got != "xlvs-lab: FAIL (dr, nat)" {
		t.Errorf("final line %q", got)
	}
	checkRemoved(t, before)
}

// TestXlvsRSDownAfterAFailure: a scenario that fails after xlvs-rs up
// (here: xlvsadm refuses a real server) still runs xlvs-rs down on every
// real server, last first, with the state file up used.
func TestXlvsRSDownAfterAFailure(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, _, rsLog := fakes(t, "refuse", "dr")
	var out bytes.Buffer
	results, err := run(context.Background(), o, &out, &syncBuffer{})
	if err != nil || len(results) != 1 || results[0].err == nil {
		t.Fatalf("run: %v %+v", err, results)
	}
	b, err := os.ReadFile(rsLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("xlvs-rs ran %d times, want up, up, down, down:\n%s", len(lines), b)
	}
	for i, want := range []string{"up --vip 198.18.0.100 --vip fd00:18::100 --mode dr --dev eth0 --state ", "up ", "down --state ", "down --state "} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("xlvs-rs call %d: %q, want %q...", i, lines[i], want)
		}
	}
	state := func(l string) string { return l[strings.LastIndex(l, " ")+1:] }
	if state(lines[0]) != state(lines[3]) || state(lines[1]) != state(lines[2]) || state(lines[0]) == state(lines[1]) {
		t.Errorf("down did not undo each up with its own state file, last first:\n%s", b)
	}
	if !strings.Contains(out.String(), "rs1# xlvs-rs down --state ") {
		t.Errorf("the transcript lacks xlvs-rs down:\n%s", out.String())
	}
	checkRemoved(t, before)
}

func TestInterruptRemovesEverything(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, err := parseFlags([]string{"--no-director", "--keep"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		results, err := run(ctx, o, &out, logs)
		if err == nil && !allPassed(results) {
			err = fmt.Errorf("results %+v", results)
		}
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("lab never reached --keep:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(labNamespaces(t)) <= len(before) {
		t.Fatal("no lab namespaces while the lab is kept")
	}
	cancel() // what SIGINT does through signal.NotifyContext
	if err := <-done; err != nil {
		t.Fatalf("run after interrupt in --keep: %v", err)
	}
	checkRemoved(t, before)
}

func TestMissingBinariesAreReported(t *testing.T) {
	netlab.RequireRoot(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--xlvsd", "/nonexistent/xlvsd"}, "/nonexistent/xlvsd"},
		{[]string{"--xlvs-rs", "/nonexistent/xlvs-rs", "--scenario", "dr", "--xlvsd", "/bin/true", "--xlvsadm", "/bin/true"}, "/nonexistent/xlvs-rs"},
	} {
		o, err := parseFlags(c.args, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = run(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "make build") {
			t.Errorf("run %q: %v", c.args, err)
		}
	}
	// nat needs no xlvs-rs.
	o, _ := parseFlags([]string{"--xlvs-rs", "/nonexistent/xlvs-rs", "--scenario", "nat", "--xlvsd", "/bin/true", "--xlvsadm", "/bin/true"}, os.Stderr)
	if err := checkBinaries(o, scenariosNamed(t, "nat")); err != nil {
		t.Errorf("nat asks for xlvs-rs: %v", err)
	}
}

func scenariosNamed(t *testing.T, names ...string) []scenario {
	t.Helper()
	s, err := selectScenarios(names)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
