package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

var defaultPackages = []string{
	"./dataplane/engine", "./dataplane/packet", "./dataplane/conntrack", "./dataplane/checksum",
	"./dataplane/xsk", "./dataplane/bpf", "./sched", "./perf/pktgen", "./fullnat",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "micro: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	count := flag.Int("count", 6, "runs of each benchmark (benchstat wants several)")
	bench := flag.String("bench", ".", "benchmark pattern")
	out := flag.String("out", "perf/results", "results directory")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = defaultPackages
	}
	now := time.Now()
	date := now.Format("2006-01-02")
	file := filepath.Join(*out, date+"-micro.txt")
	if _, err := os.Stat(file); err == nil { // a second run today
		date += now.Format("-1504")
		file = filepath.Join(*out, date+"-micro.txt")
	}
	prev, err := previous(*out, file)
	if err != nil {
		return err
	}
	args := append([]string{"test", "-run", "^$", "-bench", *bench, "-benchmem", fmt.Sprintf("-count=%d", *count)}, pkgs...)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# command: go %s\n", strings.Join(args, " "))
	fmt.Fprintf(&buf, "# machine: %d CPUs %s, kernel %s, go %s\n", runtime.NumCPU(), cpuModel(), kernel(), runtime.Version())
	fmt.Fprintf(&buf, "# commit: %s\n# date: %s\n", commit(), date)
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = &buf, os.Stderr
	fmt.Fprintf(os.Stderr, "micro: go %s\n", strings.Join(args, " "))
	runErr := cmd.Run()
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "micro: wrote %s\n", file)
	if runErr != nil {
		return fmt.Errorf("go test: %w", runErr)
	}
	if prev == "" {
		fmt.Fprintln(os.Stderr, "micro: no previous results file to compare with")
		return nil
	}
	cfile, res, err := compare(prev, file)
	if err != nil {
		return err
	}
	os.Stdout.Write(res)
	fmt.Fprintf(os.Stderr, "micro: wrote %s\n", cfile)
	return nil
}

// compare runs benchstat on the previous and the new results file and
// writes its table next to them as <new date>-micro-vs-<previous
// date>.txt, headed by the command. It returns that file and the table.
func compare(prev, file string) (string, []byte, error) {
	// benchstat names its columns by the paths it is given: run it beside
	// the files (the binary of the module's tool, found from here).
	bin, err := exec.Command("go", "tool", "-n", "benchstat").Output()
	if err != nil {
		return "", nil, fmt.Errorf("go tool -n benchstat: %w", err)
	}
	p := prev
	if filepath.Dir(prev) == filepath.Dir(file) {
		p = filepath.Base(prev)
	}
	// goos, goarch and cpu lines are left out of the grouping: a file
	// without them (or from another CPU model) would otherwise land in a
	// table of its own instead of beside the same benchmarks; the machine
	// is in each file's header.
	cmp := exec.Command(strings.TrimSpace(string(bin)), "-ignore", "goos,goarch,cpu", p, filepath.Base(file))
	cmp.Dir = filepath.Dir(file)
	var stderr bytes.Buffer
	cmp.Stderr = &stderr
	res, err := cmp.Output()
	if err != nil {
		return "", nil, fmt.Errorf("benchstat %s %s: %w\n%s", prev, file, err, stderr.Bytes())
	}
	pd := strings.TrimSuffix(filepath.Base(prev), "-micro.txt")
	nd := strings.TrimSuffix(filepath.Base(file), "-micro.txt")
	cfile := filepath.Join(filepath.Dir(file), nd+"-micro-vs-"+pd+".txt")
	head := fmt.Sprintf("# go tool benchstat -ignore goos,goarch,cpu %s %s\n", filepath.Base(prev), filepath.Base(file))
	if err := os.WriteFile(cfile, append([]byte(head), res...), 0o644); err != nil {
		return "", nil, err
	}
	return cfile, res, nil
}

// resultName matches the files the collector writes: <date>-micro.txt or,
// for a second run that day, <date>-<hhmm>-micro.txt. Other *-micro.txt
// files (a feature's own benchmarks, e.g. 2026-11-21-fullnat-micro.txt)
// are not runs of the whole collection and are never compared with.
var resultName = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-\d{4})?-micro\.txt$`)

// previous returns the latest collection results file in dir written
// before current, by the date and time in its name (file times are those
// of the checkout), or "" when there is none.
func previous(dir, current string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	cur := filepath.Base(current)
	best := ""
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !resultName.MatchString(name) || sortKey(name) >= sortKey(cur) {
			continue
		}
		if best == "" || sortKey(name) > sortKey(best) {
			best = name
		}
	}
	if best == "" {
		return "", nil
	}
	return filepath.Join(dir, best), nil
}

// sortKey orders result names by date, then time: a day's first run
// (no time) before its later ones.
func sortKey(name string) string {
	stem := strings.TrimSuffix(name, "-micro.txt")
	if len(stem) == len("2006-01-02") {
		stem += "-0000"
	}
	return stem
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown CPU"
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
