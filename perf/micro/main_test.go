package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrevious picks the latest collection file before the current one by
// the date (and time) in its name, never a feature's own results.
func TestPrevious(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"2026-11-20-micro.txt", "2026-11-21-micro.txt", "2026-11-21-1530-micro.txt",
		"2026-11-21-fullnat-micro.txt", "2026-11-21-micro-vs-2026-11-20.txt", "2026-11-21-bench.md", "2026-11-23-micro.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for current, want := range map[string]string{
		"2026-11-22-micro.txt":      "2026-11-21-1530-micro.txt",
		"2026-11-21-1530-micro.txt": "2026-11-21-micro.txt",
		"2026-11-21-1600-micro.txt": "2026-11-21-1530-micro.txt",
		"2026-11-21-micro.txt":      "2026-11-20-micro.txt",
		"2026-11-20-micro.txt":      "",
	} {
		got, err := previous(dir, filepath.Join(dir, current))
		if err != nil {
			t.Fatal(err)
		}
		if want != "" {
			want = filepath.Join(dir, want)
		}
		if got != want {
			t.Errorf("previous(%s) = %q, want %q", current, got, want)
		}
	}
	if got, err := previous(filepath.Join(dir, "none"), "x"); got != "" || err != nil {
		t.Errorf("missing directory: %q %v", got, err)
	}
}

// TestCompare runs benchstat on two small result files: the comparison
// file is named after both dates, starts with the command, and shows the
// halved parse time as a significant -50% and the unchanged lookup as ~.
func TestCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not building benchstat")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for from, to := range map[string]string{"old.txt": "2026-01-01-micro.txt", "new.txt": "2026-01-02-micro.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", from))
		if err != nil {
			t.Fatal(err)
		}
		if from == "old.txt" { // an older file without the platform lines still compares row by row
			b = []byte(strings.NewReplacer("goos: linux\n", "", "goarch: amd64\n", "", "cpu: Test CPU\n", "").Replace(string(b)))
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prev, err := previous(dir, filepath.Join(dir, "2026-01-02-micro.txt"))
	if err != nil || filepath.Base(prev) != "2026-01-01-micro.txt" {
		t.Fatalf("previous: %q %v", prev, err)
	}
	file, table, err := compare(prev, filepath.Join(dir, "2026-01-02-micro.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if file != filepath.Join(dir, "2026-01-02-micro-vs-2026-01-01.txt") {
		t.Errorf("comparison file %s", file)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), "# go tool benchstat -ignore goos,goarch,cpu 2026-01-01-micro.txt 2026-01-02-micro.txt\n") || !strings.HasSuffix(string(body), string(table)) {
		t.Errorf("comparison file:\n%s", body)
	}
	// The first row of each benchmark is its sec/op (then B/op, allocs/op).
	var parse, lookup string
	for line := range strings.Lines(string(table)) {
		switch {
		case strings.HasPrefix(line, "Parse/IPv4-TCP-2 ") && parse == "":
			parse = line
		case strings.HasPrefix(line, "LookupHit/n=1M-2 ") && lookup == "":
			lookup = line
		}
	}
	if !strings.Contains(string(table), "│ 2026-01-01-micro.txt │") {
		t.Errorf("columns not named by the files:\n%s", table)
	}
	if !strings.Contains(parse, "-50.00%") {
		t.Errorf("parse row %q: want -50.00%%\n%s", parse, table)
	}
	if !strings.Contains(lookup, "~") {
		t.Errorf("lookup row %q: want ~ (no change)\n%s", lookup, table)
	}
}

func TestSortKey(t *testing.T) {
	if !(sortKey("2026-11-21-micro.txt") < sortKey("2026-11-21-0001-micro.txt") &&
		sortKey("2026-11-21-2359-micro.txt") < sortKey("2026-11-22-micro.txt")) {
		t.Error("a day's first run must sort before its later runs, and before the next day")
	}
}
