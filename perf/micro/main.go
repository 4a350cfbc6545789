package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

var defaultPackages = []string{
	"./dataplane/engine", "./dataplane/packet", "./dataplane/conntrack", "./dataplane/checksum",
	"./dataplane/xsk", "./dataplane/bpf", "./sched", "./perf/pktgen",
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
	date := time.Now().Format("2006-01-02")
	file := filepath.Join(*out, date+"-micro.txt")
	if _, err := os.Stat(file); err == nil { // a second run today
		date += time.Now().Format("-1504")
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
	cmp := exec.Command("go", "tool", "benchstat", prev, file)
	res, err := cmp.Output()
	if err != nil {
		return fmt.Errorf("benchstat %s %s: %w", prev, file, err)
	}
	pd := strings.TrimSuffix(filepath.Base(prev), "-micro.txt")
	cfile := filepath.Join(*out, date+"-micro-vs-"+pd+".txt")
	head := fmt.Sprintf("# go tool benchstat %s %s\n", filepath.Base(prev), filepath.Base(file))
	if err := os.WriteFile(cfile, append([]byte(head), res...), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(res)
	fmt.Fprintf(os.Stderr, "micro: wrote %s\n", cfile)
	return nil
}

// previous returns the most recently written *-micro.txt in dir other
// than current.
func previous(dir, current string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*-micro.txt"))
	if err != nil {
		return "", err
	}
	best, bestAt := "", time.Time{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || f == current {
			continue
		}
		if best == "" || st.ModTime().After(bestAt) {
			best, bestAt = f, st.ModTime()
		}
	}
	return best, nil
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
