package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/internal/netlab"
)

// The real xlvsd, xlvsadm and xlvs-rs, built once per test process.
var build struct {
	once sync.Once
	dir  string
	err  error
}

// binaries builds xlvsd, xlvsadm and xlvs-rs with the go command on PATH
// (go test puts its own first) into a temporary directory and returns it.
func binaries(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "xlvs-lab-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.dir = dir
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
			"github.com/xlvs/xlvs/cmd/xlvsd", "github.com/xlvs/xlvs/cmd/xlvsadm", "github.com/xlvs/xlvs/cmd/xlvs-rs")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("building the binaries: %v", build.err)
	}
	return build.dir
}

// removeBinaries deletes what binaries built; TestMain calls it.
func removeBinaries() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// TestScenariosWithTheRealBinaries runs every scenario through the real
// xlvsd, xlvsadm and xlvs-rs, with less traffic than `make lab`, and
// checks that each passes, shows what it is about and removes its lab.
func TestScenariosWithTheRealBinaries(t *testing.T) {
	netlab.RequireRoot(t)
	bin := binaries(t)
	before := labNamespaces(t)
	// What each scenario's report must show besides its checks passing.
	shows := map[string][]string{
		"dr":       {"rs1# xlvs-rs up --vip 198.18.0.100 --vip fd00:18::100 --mode dr --dev eth0 --state", "  -> [fd00:18::12]:80             Route   1 ", "rs1# xlvs-rs down"},
		"nat":      {"  -> 198.18.1.12:8080             Masq    2 ", "  -> [fd00:18:1::11]:5353         Masq    1 ", "every real server's replies came back through the director"},
		"tun-ipip": {"Tunnel  ipip ", "decap-ipip"},
		"tun-gue":  {"Tunnel  gue:6080:-c ", "decap-gue"},
		"tun-gre":  {"Tunnel  gre:+c ", "decap-gre"},
		"persist":  {"TCP  198.18.0.100:80 rr persistent 120", "PersistConn rs1=2 rs2=2"},
		"fwmark":   {"--mark 'tcp 198.18.0.100/32 80,8080 1'", "FWM  1 IPv6 rr", "FWM  1 IPv6 counts the connections to both ports"},
		"fullnat": {"director# xlvsadm -P -u '[fd00:18::100]:53' -z fd00:18:1::201 -F eth1", "  -> [fd00:18:1::12]:8080         FullNat 1 ",
			"director# xlvsadm -G", "                     198.18.1.201         0 ", "the real servers have no route to the client"},
		"fullnat-proxy": {"TCP  [fd00:18::100]:80 rr proxy-protocol v2", "told 198.18.0.2=", "the PROXY v2 headers named the client"},
	}
	if len(shows) != len(scenarios) {
		t.Fatalf("the test covers %d scenarios, the lab has %d", len(shows), len(scenarios))
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			o, err := parseFlags([]string{"--xlvsd", filepath.Join(bin, "xlvsd"), "--xlvsadm", filepath.Join(bin, "xlvsadm"),
				"--xlvs-rs", filepath.Join(bin, "xlvs-rs"), "--scenario", s.name,
				"--conns", "6", "--datagrams", "6", "--bytes", "16384"}, os.Stderr)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			logs := &syncBuffer{}
			results, err := run(context.Background(), o, &out, logs)
			if err != nil || len(results) != 1 || !results[0].passed() {
				t.Fatalf("%s: %v\n%s\n%s", s.name, err, out.String(), logs.String())
			}
			for _, want := range shows[s.name] {
				if !strings.Contains(out.String(), want) {
					t.Errorf("%s: the report lacks %q:\n%s", s.name, want, out.String())
				}
			}
		})
	}
	// Several workers (each with its own scheduler position, replies and
	// flows handed between them) and three real servers.
	for _, s := range []string{"dr", "nat"} {
		t.Run(s+"-2queues-3rs", func(t *testing.T) {
			o, err := parseFlags([]string{"--xlvsd", filepath.Join(bin, "xlvsd"), "--xlvsadm", filepath.Join(bin, "xlvsadm"),
				"--xlvs-rs", filepath.Join(bin, "xlvs-rs"), "--scenario", s, "--queues", "2", "--real-servers", "3",
				"--conns", "12", "--datagrams", "12", "--bytes", "16384"}, os.Stderr)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			logs := &syncBuffer{}
			results, err := run(context.Background(), o, &out, logs)
			if err != nil || len(results) != 1 || !results[0].passed() {
				t.Fatalf("%s: %v\n%s\n%s", s, err, out.String(), logs.String())
			}
			if !strings.Contains(out.String(), "rs3") {
				t.Errorf("%s: the report does not show rs3:\n%s", s, out.String())
			}
		})
	}
	checkRemoved(t, before)
}
