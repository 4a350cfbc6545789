package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// bench is one harness run.
type bench struct {
	binDir           string
	tmp              string
	topo             *topo
	warmup, duration time.Duration
	size             int
	genMode          string
	cpus             int
	genCPU, dutCPU   int
}

func (b *bench) bin(name string) string { return filepath.Join(b.binDir, name) }

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		b        = &bench{cpus: runtime.NumCPU()}
		flowList = flag.String("flows", "1,10000,1000000", "flow counts, comma-separated")
		only     = flag.String("only", "", "measure only the paths whose name contains this (case-insensitive)")
		out      = flag.String("out", "perf/results", "results directory")
		binDir   = flag.String("bin", "", "directory with prebuilt xlvsd, xlvsadm and xlvs-pktgen (default: go build them)")
		synConns = flag.Int("syn-conns", 1_000_000, "distinct tuples of the SYN flood (0: skip it)")
		synLimit = flag.Duration("syn-limit", 60*time.Second, "longest SYN flood")
	)
	flag.DurationVar(&b.duration, "duration", 5*time.Second, "measurement window of each row")
	flag.DurationVar(&b.warmup, "warmup", time.Second, "warm-up before each window")
	flag.IntVar(&b.size, "size", 64, "frame size, FCS included")
	flag.StringVar(&b.genMode, "gen-mode", "live", "generator mode: live or xsk")
	flag.Parse()
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates namespaces and loads XDP programs (sudo make bench)")
	}
	var flows []int
	for _, f := range strings.Split(*flowList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("--flows %q: want positive counts", *flowList)
		}
		flows = append(flows, n)
	}
	b.genCPU, b.dutCPU = 0, min(1, b.cpus-1)
	var err error
	if b.tmp, err = os.MkdirTemp("", "xlvs-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	b.binDir = *binDir
	if b.binDir == "" {
		b.binDir = b.tmp
		fmt.Fprintln(os.Stderr, "bench: building xlvsd, xlvsadm, xlvs-pktgen")
		c := exec.Command("go", "build", "-o", b.tmp+"/", "./cmd/xlvsd", "./cmd/xlvsadm", "./cmd/xlvs-pktgen")
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("go build (run from the repository root): %w", err)
		}
	}
	lab, err := netlab.New("bench")
	if err != nil {
		return err
	}
	stopSig := lab.CloseOnSignal(func(int) { os.RemoveAll(b.tmp); os.Exit(130) })
	defer stopSig()
	defer func() {
		if err := lab.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: removing the lab: %v\n", err)
		}
	}()
	if b.topo, err = newTopo(lab); err != nil {
		return fmt.Errorf("building the topology: %w", err)
	}
	defer b.topo.close()

	r := &Report{FrameSize: b.size, GenMode: b.genMode, Warmup: b.warmup, Duration: b.duration,
		Command: "sudo make bench  # go run ./perf/bench " + strings.Join(os.Args[1:], " ")}
	r.stamp()
	ceiling := map[int]float64{}
	for _, p := range b.paths() {
		if *only != "" && !strings.Contains(strings.ToLower(p.name), strings.ToLower(*only)) {
			continue
		}
		for _, n := range flows {
			row := Row{Path: p.name, Group: p.group, Flows: n, Skipped: p.skip}
			if p.skip == "" {
				row = b.measurePath(p, n)
			}
			if p.group == groupCeiling && row.Error == "" {
				ceiling[n] = row.Mpps
			}
			fmt.Fprintf(os.Stderr, "bench: %-45s %8s flows: %s\n", p.name, flowText(n), rowText(row))
			r.Rows = append(r.Rows, row)
		}
	}
	for i := range r.Rows {
		if c := ceiling[r.Rows[i].Flows]; c > 0 {
			r.Rows[i].Ratio = r.Rows[i].Mpps / c
		}
	}
	if *synConns > 0 && (*only == "" || strings.Contains("syn", strings.ToLower(*only))) {
		fmt.Fprintf(os.Stderr, "bench: SYN flood of %d distinct tuples through xlvs DR\n", *synConns)
		s, err := b.synFlood(*synConns, *synLimit)
		if err != nil {
			s.Error = err.Error()
		}
		r.Syn = &s
	}
	r.Notes = append(r.Notes, b.notes()...)
	file, err := r.write(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s\n", file)
	os.Stdout.Write(r.markdown(""))
	return nil
}

// measurePath starts p, measures it at n flows and stops it.
func (b *bench) measurePath(p path, n int) Row {
	row := Row{Path: p.name, Group: p.group, Flows: n}
	rn, err := p.start(b)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	m, err := b.measure(rn, n)
	if serr := rn.stop(); err == nil && serr != nil {
		err = fmt.Errorf("stopping: %w", serr)
	}
	m.Path, m.Group = p.name, p.group
	if err != nil {
		m.Error = err.Error()
	}
	return m
}

func rowText(r Row) string {
	switch {
	case r.Skipped != "":
		return "skipped: " + r.Skipped
	case r.Error != "":
		return "failed: " + r.Error
	}
	return fmt.Sprintf("%.3f Mpps (offered %.2f), CPU %s, drops %s", r.Mpps, r.OfferedMpps, cpuText(r.CPU), dropText(r.Drops))
}

// notes explains the setup's limits in the results file.
func (b *bench) notes() []string {
	return []string{
		fmt.Sprintf("The generator runs on CPU %d, the director (xlvsd's worker, the forwarders, the kernel's softirq for the reflector and nftables) on CPU %d; the sink's XDP program runs in the director's softirq too (veth delivers on the sending CPU).", b.genCPU, b.dutCPU),
		"veth offers AF_XDP in copy mode only: every frame received by a userspace forwarder is copied into the UMEM and every frame sent is copied into a new skb, which bounds (a) and (b) at about 1 Mpps per core here (DESIGN.md §5). On a NIC with zero-copy AF_XDP both copies go away; see vagrant/README.md.",
		"Mpps is what reached the sink per second over the window; offered Mpps is the generator's rate over its whole run. not-forwarded counts frames xlvsd received but the sink did not see (TX ring full, veth drops).",
	}
}
