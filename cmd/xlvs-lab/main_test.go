package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// fakeEnv makes the test binary, when run under the name xlvsd or xlvsadm
// (symlinks), behave as a fake of that program; its value selects the
// behaviour ("ok", "die", "refuse") and where the fake xlvsd records that
// it got SIGTERM.
const (
	fakeEnv  = "XLVS_LAB_FAKE"
	markEnv  = "XLVS_LAB_FAKE_MARK"
	fakeList = "fake listing of services"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		switch filepath.Base(os.Args[0]) {
		case "xlvsd":
			os.Exit(fakeXlvsd(mode, os.Args[1:]))
		case "xlvsadm":
			os.Exit(fakeXlvsadm(mode, os.Args[1:]))
		}
	}
	os.Exit(m.Run())
}

func fakeXlvsd(mode string, args []string) int {
	i := slices.Index(args, "--socket")
	if i < 0 || i+1 >= len(args) || !slices.Contains(args, "--interface") {
		fmt.Fprintln(os.Stderr, "fake xlvsd: missing --socket or --interface")
		return 2
	}
	ln, err := net.Listen("unix", args[i+1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	fmt.Fprintln(os.Stderr, "fake director up")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	var timeout <-chan time.Time
	if mode == "die" {
		timeout = time.After(300 * time.Millisecond)
	}
	select {
	case <-sig:
		os.WriteFile(os.Getenv(markEnv), []byte("SIGTERM"), 0o644)
		return 0
	case <-timeout:
		fmt.Fprintln(os.Stderr, "fake director crashing")
		return 3
	}
}

func fakeXlvsadm(mode string, args []string) int {
	if os.Getenv("XLVS_SOCKET") == "" {
		fmt.Fprintln(os.Stderr, "fake xlvsadm: XLVS_SOCKET not set")
		return 2
	}
	c, err := net.Dial("unix", os.Getenv("XLVS_SOCKET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c.Close()
	if len(args) > 0 && args[0] == "-L" {
		fmt.Println(fakeList)
		return 0
	}
	if mode == "refuse" && args[0] == "-a" {
		fmt.Fprintln(os.Stderr, "Memory allocation problem")
		return 255
	}
	if mode == "die" { // slow enough for the fake xlvsd to crash meanwhile
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

// fakes returns options whose binaries are the fake xlvsd and xlvsadm.
func fakes(t *testing.T, mode string) (*options, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []string{"xlvsd", "xlvsadm"} {
		if err := os.Symlink(exe, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	mark := filepath.Join(dir, "mark")
	t.Setenv(fakeEnv, mode)
	t.Setenv(markEnv, mark)
	o, err := parseFlags([]string{"--xlvsd", filepath.Join(dir, "xlvsd"), "--xlvsadm", filepath.Join(dir, "xlvsadm"),
		"--conns", "2", "--datagrams", "2", "--bytes", "1000", "--timeout", "1m"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	return o, mark
}

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
	if err := run(context.Background(), o, &out, &logs); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out.String(), logs.String())
	}
	for _, want := range []string{"rs1", "rs2", "tcp 198.18.0.12:80: 3 ok, 0 failed", "udp [fd00:18::11]:53: 4 ok, 0 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkRemoved(t, before)
}

func TestFakeDirectorIsConfiguredAndStopped(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, mark := fakes(t, "ok")
	var out bytes.Buffer
	logs := &syncBuffer{}
	err := run(context.Background(), o, &out, logs)
	// The fake does not forward: the director's kernel refuses VIP traffic.
	if !errors.Is(err, errTraffic) {
		t.Fatalf("run with a non-forwarding director: %v, want errTraffic\n%s", err, logs.String())
	}
	for _, want := range []string{
		"+ xlvsadm -A -t 198.18.0.100:80 -s rr",
		"+ xlvsadm -a -u [fd00:18::100]:53 -r [fd00:18::12]:53 -g",
		"xlvsd: fake director up",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if !strings.Contains(out.String(), fakeList) {
		t.Errorf("output lacks the xlvsadm -L -n listing:\n%s", out.String())
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != "SIGTERM" {
		t.Errorf("fake xlvsd was not stopped with SIGTERM (mark %q, %v)", b, err)
	}
	checkRemoved(t, before)
}

func TestDirectorDyingFailsTheRun(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, _ := fakes(t, "die")
	var out bytes.Buffer
	logs := &syncBuffer{}
	err := run(context.Background(), o, &out, logs)
	if !errors.Is(err, errDirectorDied) {
		t.Fatalf("run with a crashing director: %v, want errDirectorDied\n%s", err, logs.String())
	}
	if !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("error %q does not say how xlvsd exited", err)
	}
	checkRemoved(t, before)
}

func TestXlvsadmRefusalFailsTheRun(t *testing.T) {
	netlab.RequireRoot(t)
	before := labNamespaces(t)
	o, mark := fakes(t, "refuse")
	var out bytes.Buffer
	logs := &syncBuffer{}
	err := run(context.Background(), o, &out, logs)
	if err == nil || !strings.Contains(err.Error(), "xlvsadm -a -t 198.18.0.100:80 -r 198.18.0.11:80 -g") ||
		!strings.Contains(err.Error(), "Memory allocation problem") {
		t.Fatalf("run with a refusing xlvsadm: %v", err)
	}
	if b, _ := os.ReadFile(mark); string(b) != "SIGTERM" {
		t.Error("fake xlvsd was not stopped after the failed step")
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
	go func() { done <- run(ctx, o, &out, logs) }()
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
	o, err := parseFlags([]string{"--xlvsd", "/nonexistent/xlvsd"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/xlvsd") || !strings.Contains(err.Error(), "make build") {
		t.Errorf("run with a missing xlvsd: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.xlvsd != "./bin/xlvsd" || o.xlvsadm != "./bin/xlvsadm" || o.noDirector || o.realServers != 2 || o.queues != 1 {
		t.Errorf("defaults = %+v", o)
	}
	for _, args := range [][]string{
		{"--queues", "0"}, {"--real-servers", "9"}, {"--conns", "0"}, {"extra"}, {"--no-such-flag"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("parseFlags(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestVerdictWantsEveryRealServer(t *testing.T) {
	ok := labtraffic.Target{Proto: "tcp", Addr: "198.18.0.100:80", OK: 4, PerServer: map[string]int{"rs1": 2, "rs2": 2}}
	lopsided := labtraffic.Target{Proto: "udp", Addr: "198.18.0.100:53", OK: 4, PerServer: map[string]int{"rs1": 4}}
	if err := verdict(labtraffic.Report{Targets: []labtraffic.Target{ok}}, true, 2); err != nil {
		t.Errorf("balanced report: %v", err)
	}
	err := verdict(labtraffic.Report{Targets: []labtraffic.Target{ok, lopsided}}, true, 2)
	if !errors.Is(err, errTraffic) || !strings.Contains(err.Error(), "never reached rs2") {
		t.Errorf("lopsided report: %v", err)
	}
	if err := verdict(labtraffic.Report{Targets: []labtraffic.Target{lopsided}}, false, 2); err != nil {
		t.Errorf("without a director spreading is not required: %v", err)
	}
	failed := ok
	failed.Failed = 1
	if err := verdict(labtraffic.Report{Targets: []labtraffic.Target{failed}}, true, 2); !errors.Is(err, errTraffic) {
		t.Errorf("report with a failed round: %v", err)
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

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRealDirector runs the whole lab with the real xlvsd and xlvsadm from
// the directory named by $XLVS_LAB_BIN (e.g. XLVS_LAB_BIN=$PWD/bin after
// make build); without it the test skips, as this package does not build
// other commands.
func TestRealDirector(t *testing.T) {
	netlab.RequireRoot(t)
	bin := os.Getenv("XLVS_LAB_BIN")
	if bin == "" {
		t.Skip("set XLVS_LAB_BIN to the directory holding xlvsd and xlvsadm (make build: ./bin) to run the lab against the real director")
	}
	before := labNamespaces(t)
	o, err := parseFlags([]string{"--xlvsd", filepath.Join(bin, "xlvsd"), "--xlvsadm", filepath.Join(bin, "xlvsadm"),
		"--queues", "2", "--conns", "10", "--datagrams", "10"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	logs := &syncBuffer{}
	if err := run(context.Background(), o, &out, logs); err != nil {
		t.Fatalf("lab with the real director: %v\n%s\n%s", err, out.String(), logs.String())
	}
	for _, want := range []string{"TCP  198.18.0.100:80 rr", "UDP  [fd00:18::100]:53 rr", "-> [fd00:18::12]:80"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkRemoved(t, before)
}
