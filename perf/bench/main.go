package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// bench is one harness run.
type bench struct {
	config
	tmp    string
	topo   *topo
	cpus   int
	genCPU int
	dutCPU int
}

// config is the command line.
type config struct {
	flows            []int
	workers          []int
	synMethods       []method
	only             string
	out              string
	binDir           string
	profileDir       string
	synConns         int
	synLimit         time.Duration
	warmup, duration time.Duration
	size             int
	genMode          string
}

// errUsage marks command-line errors (exit status 2).
var errUsage = errors.New("bad usage")

func (b *bench) bin(name string) string { return filepath.Join(b.binDir, name) }

func main() {
	c, err := parseFlags(os.Args[1:], runtime.NumCPU())
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line of a machine with cpus CPUs.
func parseFlags(args []string, cpus int) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defWorkers := "1"
	if cpus >= 4 {
		defWorkers = "1,2"
	}
	flowList := fs.String("flows", "1,10000,1000000", "flow counts, comma-separated")
	workerList := fs.String("workers", defWorkers, "xlvsd worker counts, comma-separated (2 on a 2-CPU machine shares the generator's core)")
	synList := fs.String("syn-methods", "DR,NAT,TUN IPIP,FULLNAT", "methods the SYN flood goes through, comma-separated")
	fs.StringVar(&c.only, "only", "", "measure only the paths whose name contains this (case-insensitive)")
	fs.StringVar(&c.out, "out", "perf/results", "results directory")
	fs.StringVar(&c.binDir, "bin", "", "directory with prebuilt xlvsd, xlvsadm and xlvs-pktgen (default: go build them)")
	fs.StringVar(&c.profileDir, "profile", "", "write a CPU profile of xlvsd over each xlvs row's window into this directory (xlvsd --pprof)")
	fs.IntVar(&c.synConns, "syn-conns", 1_000_000, "distinct tuples of the SYN flood (0: skip it)")
	fs.DurationVar(&c.synLimit, "syn-limit", 60*time.Second, "longest SYN flood")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measurement window of each row")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "warm-up before each window")
	fs.IntVar(&c.size, "size", 64, "frame size, FCS included")
	fs.StringVar(&c.genMode, "gen-mode", "live", "generator mode: live or xsk")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var err error
	if c.flows, err = counts(*flowList, 1<<30); err != nil {
		return c, fmt.Errorf("%w: --flows %q: %v", errUsage, *flowList, err)
	}
	if c.workers, err = counts(*workerList, max(2, cpus)); err != nil {
		return c, fmt.Errorf("%w: --workers %q: %v", errUsage, *workerList, err)
	}
	for _, name := range strings.Split(*synList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		m, ok := methodNamed(name)
		if !ok {
			return c, fmt.Errorf("%w: --syn-methods: unknown method %q", errUsage, name)
		}
		c.synMethods = append(c.synMethods, m)
	}
	switch {
	case c.duration <= 0 || c.warmup < 0:
		return c, fmt.Errorf("%w: --duration must be positive and --warmup not negative", errUsage)
	case c.size < 64 || c.size > 1518:
		return c, fmt.Errorf("%w: --size %d: want 64..1518", errUsage, c.size)
	case c.genMode != "live" && c.genMode != "xsk":
		return c, fmt.Errorf("%w: --gen-mode %q: want live or xsk", errUsage, c.genMode)
	case c.synConns < 0:
		return c, fmt.Errorf("%w: --syn-conns %d: want 0 or more", errUsage, c.synConns)
	}
	return c, nil
}

// counts parses a comma-separated list of counts in 1..most.
func counts(list string, most int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > most {
			return nil, fmt.Errorf("want counts from 1 to %d", most)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(c config) error {
	b := &bench{config: c, cpus: runtime.NumCPU()}
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates namespaces and loads XDP programs (sudo make bench)")
	}
	b.genCPU, b.dutCPU = 0, min(1, b.cpus-1)
	var err error
	if b.tmp, err = os.MkdirTemp("", "xlvs-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	if b.profileDir != "" {
		if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
			return err
		}
	}
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
	if b.topo, err = newTopo(lab, slices.Max(b.workers)); err != nil {
		return fmt.Errorf("building the topology: %w", err)
	}
	defer b.topo.close()

	r := &Report{FrameSize: b.size, GenMode: b.genMode, Warmup: b.warmup, Duration: b.duration,
		Command: "sudo make bench  # go run ./perf/bench " + strings.Join(os.Args[1:], " ")}
	r.stamp()
	for _, p := range b.paths() {
		if b.only != "" && !strings.Contains(strings.ToLower(p.name), strings.ToLower(b.only)) {
			continue
		}
		for _, n := range b.flows {
			row := Row{Path: p.name, Group: p.group, Flows: n, Skipped: p.skip}
			if p.skip == "" {
				row = b.measurePath(p, n)
			}
			fmt.Fprintf(os.Stderr, "bench: %-45s %8s flows: %s\n", p.name, flowText(n), rowText(row))
			r.Rows = append(r.Rows, row)
		}
	}
	setRatios(r.Rows)
	if b.synConns > 0 && (b.only == "" || strings.Contains("syn", strings.ToLower(b.only))) {
		for _, m := range b.synMethods {
			fmt.Fprintf(os.Stderr, "bench: SYN flood of %d distinct tuples through xlvs %s\n", b.synConns, m.name)
			s, err := b.synFlood(m, b.synConns, b.synLimit)
			if err != nil {
				s.Error = err.Error()
			}
			r.Syns = append(r.Syns, s)
		}
	}
	r.Notes = append(r.Notes, b.notes()...)
	file, err := r.write(b.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s\n", file)
	os.Stdout.Write(r.markdown(""))
	return nil
}

// setRatios sets each measured row's ratio to the ceiling's (group b)
// Mpps at the same flow count; rows without a measured ceiling keep 0.
func setRatios(rows []Row) {
	ceiling := map[int]float64{}
	for _, r := range rows {
		if r.Group == groupCeiling && r.Error == "" && r.Skipped == "" {
			ceiling[r.Flows] = r.Mpps
		}
	}
	for i := range rows {
		if c := ceiling[rows[i].Flows]; c > 0 && rows[i].Error == "" && rows[i].Skipped == "" {
			rows[i].Ratio = rows[i].Mpps / c
		}
	}
}

// measurePath starts p, measures it at n flows and stops it.
func (b *bench) measurePath(p path, n int) Row {
	row := Row{Path: p.name, Group: p.group, Flows: n}
	rn, err := p.start(b)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	profile := ""
	if b.profileDir != "" {
		profile = profileFile(b.profileDir, p.name, n)
	}
	m, err := b.measure(rn, n, profile)
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
	notes := []string{
		fmt.Sprintf("The generator runs on CPU %d, the director (xlvsd's worker, the forwarders, the kernel's softirq for the reflector and nftables) on CPU %d; the sink's XDP program runs in the director's softirq too (veth delivers on the sending CPU).", b.genCPU, b.dutCPU),
		"veth offers AF_XDP in copy mode only: every frame received by a userspace forwarder is copied into the UMEM and every frame sent is copied into a new skb, which bounds (a) and (b) at about 1 Mpps per core here (DESIGN.md §5). On a NIC with zero-copy AF_XDP both copies go away; see vagrant/README.md.",
		"Mpps is what reached the sink per second over the window; offered Mpps is the generator's rate over its whole run. not-received counts frames the XDP program steered to xlvsd's sockets that its workers never received (the kernel found the RX ring full: the workers were busy); not-forwarded counts frames xlvsd received but the sink did not see (TX ring full, veth drops).",
		"NAT rows measure the inbound direction: the sink holds the real servers' addresses and answers nothing. TUN rows send 84-byte (IPIP) or 92-byte (GUE) frames to the sink, which counts them encapsulated; (b) forwards 64-byte frames.",
	}
	if slices.ContainsFunc(b.workers, func(n int) bool { return n+1 > b.cpus }) {
		notes = append(notes, fmt.Sprintf("Rows marked \"cores shared with the generator\": this machine has %d CPUs, so xlvsd's workers run on CPUs %s and one shares its core with the generator; the generator's frames all arrive on queue 0 (veth picks the receive queue by the sending CPU), so worker 0 hands the flows it does not own to worker 1 through the handoff ring. They show that 2 workers work and what handoff costs here, not how 2 workers scale on separate cores.", b.cpus, b.workerCPUs(slices.Max(b.workers))))
	}
	return notes
}
