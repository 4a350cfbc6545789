package main

import (
	"reflect"
	"testing"
)

// Two /proc/stat samples of a 2-CPU machine, 100 jiffies apart per core.
const (
	stat0 = `cpu  300 0 100 1500 10 0 0 0 0 0
cpu0 100 0 50 800 10 0 0 0 0 0
cpu1 200 0 50 700 0 0 0 0 0 0
intr 12345
ctxt 999
`
	stat1 = `cpu  400 0 150 1640 10 0 0 0 0 0
cpu0 175 0 60 815 10 0 0 0 0 0
cpu1 225 0 90 825 0 0 5 0 7 0
intr 12400
`
)

// TestProcStat checks the per-core accounting: busy is user+nice+system+
// irq+softirq+steal, total adds idle and iowait, guest is not counted
// twice, and the "cpu" total line is skipped.
func TestProcStat(t *testing.T) {
	a, b := parseProcStat(stat0), parseProcStat(stat1)
	want0 := []cpuTimes{{busy: 150, total: 960}, {busy: 250, total: 950}}
	if !reflect.DeepEqual(a, want0) {
		t.Fatalf("parsed %+v, want %+v", a, want0)
	}
	if b[1] != (cpuTimes{busy: 320, total: 1145}) {
		t.Errorf("cpu1 with softirq and guest: %+v, want busy 320 (guest 7 left out) total 1145", b[1])
	}
	got := cpuShare(a, b)
	// cpu0: busy +85 of +100; cpu1: busy +70 of +195.
	want := []float64{85, 100 * 70.0 / 195}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("cpu%d: %.3f%%, want %.3f%%", i, got[i], want[i])
		}
	}
	if s := cpuShare(a, a); s[0] != 0 || s[1] != 0 {
		t.Errorf("no time passed: %v, want zeros", s)
	}
	if s := cpuShare(a, b[:1]); len(s) != 1 {
		t.Errorf("a core went offline: %v, want one share", s)
	}
}

// TestDrops checks the counter-delta math of a window: drop counters
// that moved, frames steered but not received, received but not
// delivered; counters that did not move or went down are left out.
func TestDrops(t *testing.T) {
	a := map[string]uint64{"rx-packets": 1000, "drop-no-service": 5, "drop-tx-ring-full": 2, "xdp-steer-service-ipv4": 1500,
		"xdp-steer-service-ipv6": 0, "xdp-pass-no-xsk": 1, "tx-packets": 990, "conns": 50}
	b := map[string]uint64{"rx-packets": 3000, "drop-no-service": 5, "drop-tx-ring-full": 12, "xdp-steer-service-ipv4": 4500,
		"xdp-steer-service-ipv6": 100, "xdp-pass-no-xsk": 4, "tx-packets": 2980, "conns": 40}
	got := drops(a, b, 1950)
	want := map[string]uint64{"drop-tx-ring-full": 10, "xdp-pass-no-xsk": 3, "not-received": 3100 - 2000, "not-forwarded": 50}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drops = %v, want %v", got, want)
	}
	if got := drops(a, b, 5000); got["not-forwarded"] != 0 {
		t.Errorf("more delivered than received: not-forwarded %d", got["not-forwarded"])
	}
	if drops(nil, nil, 10) != nil {
		t.Error("a path without counters has drops")
	}
	if got := drops(nil, map[string]uint64{"rx-packets": 10}, 10); len(got) != 0 {
		t.Errorf("first sample from zero: %v", got)
	}
	d := deltas(a, b)
	wantD := map[string]uint64{"rx-packets": 2000, "drop-tx-ring-full": 10, "xdp-steer-service-ipv4": 3000,
		"xdp-steer-service-ipv6": 100, "xdp-pass-no-xsk": 3, "tx-packets": 1990}
	if !reflect.DeepEqual(d, wantD) {
		t.Errorf("deltas = %v, want %v (gauges that went down left out)", d, wantD)
	}
	if deltas(a, nil) != nil {
		t.Error("deltas without counters")
	}
}

func TestDropText(t *testing.T) {
	if got := dropText(nil); got != "0" {
		t.Errorf("no drops: %q", got)
	}
	got := dropText(map[string]uint64{"b": 5, "a": 5, "c": 9})
	if got != "c 9, a 5, b 5" {
		t.Errorf("dropText = %q, want largest first, ties by name", got)
	}
}

func TestFlowText(t *testing.T) {
	for n, want := range map[int]string{1: "1", 999: "999", 10_000: "10k", 1_000_000: "1M", 1_032_192: "1032192", 1500: "1500"} {
		if got := flowText(n); got != want {
			t.Errorf("flowText(%d) = %q, want %q", n, got, want)
		}
	}
}
