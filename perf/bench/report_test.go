package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testReport is a small run: a measured xlvs row, its ceiling, a kernel
// row, a skipped and a failed row, and two SYN floods.
func testReport() *Report {
	rows := []Row{
		{Path: "xlvs DR, 1 worker", Group: groupXLVS, Flows: 1, Mpps: 0.45, OfferedMpps: 1.5, CPU: []float64{90, 80.4},
			Drops: map[string]uint64{"not-received": 300, "drop-no-service": 7}, Counters: map[string]uint64{"rx-packets": 2250000}},
		{Path: "xlvs DR, 1 worker", Group: groupXLVS, Flows: 1_000_000, Mpps: 0.3, OfferedMpps: 1.4, CPU: []float64{70, 60}},
		{Path: "xlvs FULLNAT, 1 worker", Group: groupXLVS, Flows: 1, Skipped: "not merged yet"},
		{Path: "bare AF_XDP forwarder (dataplane/xsk)", Group: groupCeiling, Flows: 1, Mpps: 0.5, OfferedMpps: 2, CPU: []float64{50, 50}},
		{Path: "bare AF_XDP forwarder (dataplane/xsk)", Group: groupCeiling, Flows: 1_000_000, Error: "xlvs-pktgen exited: boom\nsecond | line"},
		{Path: "kernel XDP redirect reflector", Group: groupKernel, Flows: 10_000, Mpps: 1.8, OfferedMpps: 1.8, CPU: []float64{100, 100}},
	}
	return &Report{Date: "2026-11-21", Machine: "Test CPU", CPUs: 2, Kernel: "6.18.0", Commit: "abc1234", Go: "go1.26.8",
		Command: "sudo make bench", FrameSize: 64, GenMode: "live", Warmup: time.Second, Duration: 5 * time.Second, Rows: rows,
		Syns: []SynResult{
			{Method: "DR", Target: 1000, Conns: 1000, Capacity: 2048, Seconds: 2, CPS: 500, PeakCPS: 800,
				RSSBefore: 10 << 20, RSSAfter: 11 << 20, BytesPerConn: 1048.6},
			{Method: "NAT", Target: 1000, Conns: 600, Capacity: 2048, Seconds: 60, CPS: 10, PeakCPS: 20,
				RSSBefore: 10 << 20, RSSAfter: 12 << 20, BytesPerConn: 3495.3, Error: "reached 600 of 1000 connections in 1m0s",
				Drops: map[string]uint64{"drop-conn-table-full": 5}},
		},
		Notes: []string{"a note"}}
}

// TestSetRatios divides each measured row by the ceiling at its flow
// count; rows without a measured ceiling, skipped and failed rows get 0.
func TestSetRatios(t *testing.T) {
	r := testReport()
	setRatios(r.Rows)
	want := []float64{0.45 / 0.5, 0, 0, 1, 0, 0}
	for i, row := range r.Rows {
		if diff := row.Ratio - want[i]; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("row %d (%s, %d flows): ratio %v, want %v", i, row.Path, row.Flows, row.Ratio, want[i])
		}
	}
}

// TestMarkdown checks the results file a reader sees: stamp, table rows
// (measured, skipped, failed), the SYN flood table and the notes.
func TestMarkdown(t *testing.T) {
	r := testReport()
	setRatios(r.Rows)
	md := string(r.markdown("2026-11-21-bench.png"))
	for _, want := range []string{
		"# Throughput: generator → director → sink (2026-11-21)\n",
		"Machine: Test CPU, 2 CPUs; kernel 6.18.0; go1.26.8; commit abc1234.  \n",
		"Command: `sudo make bench`  \n",
		"each row is 5s after a 1s warm-up",
		"| (a) | xlvs DR, 1 worker | 1 | 0.450 | 0.90 | 1.50 | 0: 90, 1: 80 | not-received 300, drop-no-service 7 |\n",
		"| (a) | xlvs DR, 1 worker | 1M | 0.300 | 0.00 | 1.40 | 0: 70, 1: 60 | 0 |\n",
		"| (a) | xlvs FULLNAT, 1 worker | 1 | — | — | — | — | skipped: not merged yet |\n",
		"| (b) | bare AF_XDP forwarder (dataplane/xsk) | 1M | — | — | — | — | failed: xlvs-pktgen exited: boom |\n",
		"| (c) | kernel XDP redirect reflector | 10k | 1.800 | 0.00 | 1.80 | 0: 100, 1: 100 | 0 |\n",
		"![throughput](2026-11-21-bench.png)\n",
		"| DR | 1000 | 2048 | 48.8% | 2.0 | 500 | 800 | 10.0 MiB → 11.0 MiB | 1048.6 | 0 |\n",
		"| NAT | 600 | 2048 | 29.3% | 60.0 | 10 | 20 | 10.0 MiB → 12.0 MiB | 3495.3 | drop-conn-table-full 5 |\n",
		"Note (NAT): reached 600 of 1000 connections in 1m0s.\n",
		"## Notes\n\n- a note\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Note (DR)") {
		t.Error("a SYN flood without error has a note")
	}
	if got := strings.Count(md, "\n| ("); got != len(r.Rows) {
		t.Errorf("%d table rows, want %d", got, len(r.Rows))
	}
}

// TestReportJSONRoundTrip checks that the JSON file reads back into the
// same report.
func TestReportJSONRoundTrip(t *testing.T) {
	r := testReport()
	setRatios(r.Rows)
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*r, back) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, *r)
	}
	for _, key := range []string{`"ratio_to_ceiling":0.9`, `"syn_floods":[`, `"cpu_percent":[90,80.4]`, `"duration_ns":5000000000`} {
		if !strings.Contains(string(js), key) {
			t.Errorf("JSON lacks %s: %s", key, js)
		}
	}
}

// TestWrite checks the three files of a run, a decodable PNG chart among
// them, and that a second run the same day gets files of its own.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	r := testReport()
	setRatios(r.Rows)
	md, err := r.write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if md != filepath.Join(dir, "2026-11-21-bench.md") {
		t.Errorf("wrote %s", md)
	}
	f, err := os.Open(filepath.Join(dir, "2026-11-21-bench.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 300 {
		t.Errorf("chart of %dx%d pixels", b.Dx(), b.Dy())
	}
	body, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "![throughput](2026-11-21-bench.png)") {
		t.Error("the markdown does not show the chart")
	}
	var back Report
	js, err := os.ReadFile(filepath.Join(dir, "2026-11-21-bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &back); err != nil || len(back.Rows) != len(r.Rows) {
		t.Errorf("JSON file: %v, %d rows", err, len(back.Rows))
	}
	md2, err := r.write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if md2 == md || !strings.HasPrefix(filepath.Base(md2), "2026-11-21-") {
		t.Errorf("second run wrote %s over the first's %s", md2, md)
	}
}

// TestChartNeedsRows: a run that measured nothing has no chart, and says
// why in its notes.
func TestChartNeedsRows(t *testing.T) {
	r := &Report{Date: "2026-11-21", Rows: []Row{{Path: "x", Flows: 1, Skipped: "no"}}}
	if err := r.chart(filepath.Join(t.TempDir(), "c.png")); err == nil {
		t.Error("chart of skipped rows only: no error")
	}
	md, err := r.write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(md)
	if strings.Contains(string(body), "![throughput]") || !strings.Contains(string(body), "no chart: nothing measured") {
		t.Errorf("markdown without a chart:\n%s", body)
	}
}
