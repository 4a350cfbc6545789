package main

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseFlags checks the defaults (2-worker rows only from 4 CPUs),
// the lists, and that every bad command line is a usage error (exit 2).
func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.flows, []int{1, 10000, 1000000}) || !reflect.DeepEqual(c.workers, []int{1}) ||
		synNames(c) != "DR,NAT,TUN IPIP,FULLNAT" || c.size != 64 {
		t.Errorf("defaults on 2 CPUs: %+v", c)
	}
	if c, _ := parseFlags(nil, 4); !reflect.DeepEqual(c.workers, []int{1, 2}) {
		t.Errorf("default workers on 4 CPUs: %v, want [1 2]", c.workers)
	}
	c, err = parseFlags([]string{"--workers", "1,2", "--flows", "1, 1000000", "--syn-methods", "nat", "--profile", "/tmp/p"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.workers, []int{1, 2}) || !reflect.DeepEqual(c.flows, []int{1, 1000000}) ||
		len(c.synMethods) != 1 || c.synMethods[0].name != "NAT" || c.profileDir != "/tmp/p" {
		t.Errorf("parsed %+v", c)
	}
	for _, args := range [][]string{
		{"--flows", "0"}, {"--flows", "ten"}, {"--workers", "3"}, {"--workers", "0"}, {"--syn-methods", "GRE"},
		{"--size", "63"}, {"--size", "1519"}, {"--gen-mode", "pcap"}, {"--duration", "0s"}, {"--syn-conns", "-1"},
		{"--nosuch"}, {"extra"},
	} {
		if _, err := parseFlags(args, 2); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := parseFlags([]string{"--workers", "3"}, 4); err != nil {
		t.Errorf("3 workers on 4 CPUs: %v", err)
	}
}

// TestPaths checks the row labels: every method with both worker counts,
// 2 workers on 2 CPUs labelled as sharing the generator's core, FULLNAT
// skipped with its reason, then (b) and (c).
func TestPaths(t *testing.T) {
	b := &bench{config: config{workers: []int{1, 2}}, cpus: 2, dutCPU: 1}
	var names []string
	skipped := map[string]string{}
	for _, p := range b.paths() {
		names = append(names, p.name)
		if p.skip != "" {
			skipped[p.name] = p.skip
		}
	}
	want := []string{
		"xlvs DR, 1 worker", "xlvs DR, 2 workers (cores shared with the generator)",
		"xlvs NAT, 1 worker", "xlvs NAT, 2 workers (cores shared with the generator)",
		"xlvs TUN IPIP, 1 worker", "xlvs TUN IPIP, 2 workers (cores shared with the generator)",
		"xlvs TUN GUE, 1 worker", "xlvs TUN GUE, 2 workers (cores shared with the generator)",
		"xlvs FULLNAT, 1 worker", "xlvs FULLNAT, 2 workers (cores shared with the generator)",
		"bare AF_XDP forwarder (dataplane/xsk)", "kernel XDP redirect reflector", "Linux forwarding + nftables DNAT",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("paths:\n%q\nwant\n%q", names, want)
	}
	for _, n := range want[:10] {
		if skipped[n] != "" {
			t.Errorf("%s skipped: %s", n, skipped[n])
		}
	}
	if got := xlvsPathName(methods[0], 2, 4); got != "xlvs DR, 2 workers" {
		t.Errorf("2 workers on 4 CPUs: %q", got)
	}
	if got := b.workerCPUs(2); got != "1,0" {
		t.Errorf("2 workers on 2 CPUs from CPU 1: --cpus %s, want 1,0", got)
	}
	if got := (&bench{cpus: 8, dutCPU: 1}).workerCPUs(3); got != "1,2,3" {
		t.Errorf("3 workers on 8 CPUs: --cpus %s, want 1,2,3", got)
	}
}

func TestProfileFile(t *testing.T) {
	for _, c := range []struct {
		path  string
		flows int
		want  string
	}{
		{"xlvs DR, 1 worker", 1_000_000, "xlvs-dr-1-worker-1m.pprof"},
		{"xlvs TUN GUE, 2 workers (cores shared with the generator)", 10_000, "xlvs-tun-gue-2-workers-cores-shared-with-the-generator-10k.pprof"},
	} {
		if got := profileFile("/p", c.path, c.flows); got != filepath.Join("/p", c.want) {
			t.Errorf("profileFile(%q, %d) = %s, want /p/%s", c.path, c.flows, got, c.want)
		}
	}
}

// synNames lists the SYN flood's methods of c, comma-separated.
func synNames(c config) string {
	var names []string
	for _, m := range c.synMethods {
		names = append(names, m.name)
	}
	return strings.Join(names, ",")
}
