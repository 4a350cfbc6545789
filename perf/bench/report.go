package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Report is everything one harness run measured; written as JSON next to
// the markdown table and the chart.
type Report struct {
	Date      string        `json:"date"`
	Machine   string        `json:"machine"`
	CPUs      int           `json:"cpus"`
	Kernel    string        `json:"kernel"`
	Commit    string        `json:"commit"`
	Go        string        `json:"go"`
	Command   string        `json:"command"`
	FrameSize int           `json:"frame_size"`
	GenMode   string        `json:"generator_mode"`
	Warmup    time.Duration `json:"warmup_ns"`
	Duration  time.Duration `json:"duration_ns"`
	Rows      []Row         `json:"rows"`
	Syns      []SynResult   `json:"syn_floods,omitempty"`
	Notes     []string      `json:"notes,omitempty"`
}

// stamp fills in the machine, kernel and commit.
func (r *Report) stamp() {
	r.Date = time.Now().Format("2006-01-02")
	r.CPUs = runtime.NumCPU()
	r.Go = runtime.Version()
	r.Machine = cpuModel()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		r.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			r.Commit += "+changes"
		}
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown CPU"
}

// markdown renders the report as the results file.
func (r *Report) markdown(chart string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Throughput: generator → director → sink (%s)\n\n", r.Date)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs; kernel %s; %s; commit %s.  \n", r.Machine, r.CPUs, r.Kernel, r.Go, r.Commit)
	fmt.Fprintf(&b, "Command: `%s`  \n", r.Command)
	fmt.Fprintf(&b, "%d-byte frames (FCS included), UDP, generator in %s mode on one core, the director on another; "+
		"each row is %v after a %v warm-up, counted by the XDP sink.\n\n", r.FrameSize, r.GenMode, r.Duration, r.Warmup)
	b.WriteString("| | path | flows | Mpps | vs (b) | offered Mpps | CPU per core % | drops in the window |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---|---|\n")
	for _, row := range r.Rows {
		switch {
		case row.Skipped != "":
			fmt.Fprintf(&b, "| (%s) | %s | %s | — | — | — | — | skipped: %s |\n", row.Group, row.Path, flowText(row.Flows), row.Skipped)
		case row.Error != "":
			fmt.Fprintf(&b, "| (%s) | %s | %s | — | — | — | — | failed: %s |\n", row.Group, row.Path, flowText(row.Flows), oneLine(row.Error))
		default:
			fmt.Fprintf(&b, "| (%s) | %s | %s | %.3f | %.2f | %.2f | %s | %s |\n", row.Group, row.Path, flowText(row.Flows),
				row.Mpps, row.Ratio, row.OfferedMpps, cpuText(row.CPU), dropText(row.Drops))
		}
	}
	b.WriteString("\n(a) xlvs, (b) the userspace ceiling on the same path, (c) the kernel.\n")
	if chart != "" {
		fmt.Fprintf(&b, "\n![throughput](%s)\n", chart)
	}
	if len(r.Syns) > 0 {
		b.WriteString("\n## New connections: SYN flood of distinct tuples through xlvs, 1 worker\n\n")
		b.WriteString("| method | connections | capacity | occupancy | seconds | conns/s (mean) | conns/s (best second) | RSS empty → full | bytes per connection | drops |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|---:|---|\n")
		for _, s := range r.Syns {
			occ := 0.0
			if s.Capacity > 0 {
				occ = 100 * float64(s.Conns) / float64(s.Capacity)
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %.1f%% | %.1f | %.0f | %.0f | %s → %s | %.1f | %s |\n", s.Method, s.Conns, s.Capacity, occ, s.Seconds,
				s.CPS, s.PeakCPS, mib(s.RSSBefore), mib(s.RSSAfter), s.BytesPerConn, dropText(s.Drops))
		}
		for _, s := range r.Syns {
			if s.Error != "" {
				fmt.Fprintf(&b, "\nNote (%s): %s.\n", s.Method, oneLine(s.Error))
			}
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.Bytes()
}

func flowText(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func cpuText(c []float64) string {
	parts := make([]string, len(c))
	for i, v := range c {
		parts[i] = fmt.Sprintf("%d: %.0f", i, v)
	}
	return strings.Join(parts, ", ")
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.ReplaceAll(s, "|", "/")
}

// write stores the report as <dir>/<date>-bench.{md,json,png}, or
// <date>-<hhmm>-bench.* when that day's files exist: a run never
// overwrites another's results.
func (r *Report) write(dir string) (string, error) {
	base := filepath.Join(dir, r.Date+"-bench")
	if _, err := os.Stat(base + ".md"); err == nil {
		base = filepath.Join(dir, r.Date+"-"+time.Now().Format("1504")+"-bench")
	}
	chart := ""
	if err := r.chart(base + ".png"); err != nil {
		r.Notes = append(r.Notes, "no chart: "+err.Error())
	} else {
		chart = filepath.Base(base + ".png")
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".md", r.markdown(chart), 0o644); err != nil {
		return "", err
	}
	return base + ".md", nil
}
