package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xlvs/xlvs/internal/syncbuf"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// cpuTimes are one core's /proc/stat jiffies.
type cpuTimes struct{ busy, total uint64 }

// readCPUs returns the per-core times from /proc/stat, by core number.
func readCPUs() ([]cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, err
	}
	return parseProcStat(string(b)), nil
}

// parseProcStat returns the per-core lines ("cpuN ...") of a /proc/stat:
// busy is every field but idle and iowait among the first eight (user,
// nice, system, idle, iowait, irq, softirq, steal; guest times are already
// in user and nice), total all eight.
func parseProcStat(stat string) []cpuTimes {
	var cpus []cpuTimes
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var c cpuTimes
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(v, 10, 64)
			if i >= 8 { // guest times are already in user and nice
				break
			}
			c.total += n
			if i != 3 && i != 4 { // idle, iowait
				c.busy += n
			}
		}
		cpus = append(cpus, c)
	}
	return cpus
}

// cpuShare returns each core's busy share between a and b, in percent.
func cpuShare(a, b []cpuTimes) []float64 {
	out := make([]float64, min(len(a), len(b)))
	for i := range out {
		if dt := b[i].total - a[i].total; dt > 0 {
			out[i] = 100 * float64(b[i].busy-a[i].busy) / float64(dt)
		}
	}
	return out
}

// sample is the state of the world at one instant of a measurement.
type sample struct {
	at       time.Time
	sink     pktgen.Tally
	cpus     []cpuTimes
	counters map[string]uint64
}

func (b *bench) sample(r running) (sample, error) {
	s := sample{at: time.Now()}
	var err error
	if s.sink, err = b.topo.sinkProg.Read(); err != nil {
		return s, err
	}
	if s.cpus, err = readCPUs(); err != nil {
		return s, err
	}
	if r != nil {
		if s.counters, err = r.counters(); err != nil {
			return s, fmt.Errorf("counters: %w", err)
		}
	}
	return s, nil
}

// Row is one measurement: a path at a flow count.
type Row struct {
	Path  string `json:"path"`
	Group string `json:"group"`
	Flows int    `json:"flows"`
	// Skipped says why the row was not measured.
	Skipped string `json:"skipped,omitempty"`
	// Mpps is what reached the sink per second over the window.
	Mpps float64 `json:"mpps"`
	// OfferedMpps is the generator's rate over its whole run.
	OfferedMpps float64 `json:"offered_mpps"`
	// Ratio is Mpps over the ceiling's (b) at the same flow count.
	Ratio float64 `json:"ratio_to_ceiling"`
	// CPU is each core's busy share over the window, percent.
	CPU []float64 `json:"cpu_percent"`
	// Drops are the path's non-zero drop counters over the window, by
	// reason ("drop-*" and "xdp-*" of xlvsd), and "not-forwarded": what
	// the director received and did not deliver.
	Drops map[string]uint64 `json:"drops,omitempty"`
	// Counters are the path's counters over the window (xlvsd's
	// get-counters deltas), for the record.
	Counters map[string]uint64 `json:"counters,omitempty"`
	// Error is set when the measurement failed.
	Error string `json:"error,omitempty"`
}

// genReport is the part of xlvs-pktgen send --json the harness reads.
type genReport struct {
	Sent uint64  `json:"sent"`
	PPS  float64 `json:"pps"`
}

// startGen starts the generator: UDP to the VIP from flows flows, flat
// out, for the warm-up, the window and a margin.
func (b *bench) startGen(kind string, flows int, extra ...string) (*proc, *syncbuf.Buffer, error) {
	out := &syncbuf.Buffer{}
	args := []string{"send", "--mode", b.genMode, "--dev", "eth0", "--proto", kind,
		"--src", srcRange, "--sport", srcPorts, "--dst", vip.String(), "--dport", strconv.Itoa(svcPort),
		"--flows", strconv.Itoa(flows), "--size", strconv.Itoa(b.size), "--dst-mac", b.topo.dutMAC0.String(),
		"--cpu", strconv.Itoa(b.genCPU), "--json"}
	args = append(args, extra...)
	p, err := startIn(b.topo.gen, out, b.bin("xlvs-pktgen"), args...)
	return p, out, err
}

// measure runs the generator through a started path and measures the
// window after the warm-up; with --profile, xlvsd's CPU profile of the
// window goes to profile.
func (b *bench) measure(r running, flows int, profile string) (Row, error) {
	row := Row{Flows: flows}
	total := b.warmup + b.duration + time.Second
	gen, out, err := b.startGen("udp", flows, "--duration", total.String())
	if err != nil {
		return row, err
	}
	defer gen.stop()
	time.Sleep(b.warmup)
	s0, err := b.sample(r)
	if err != nil {
		return row, err
	}
	profiled := make(chan error, 1)
	if _, ok := r.(*director); ok && profile != "" {
		go func() { profiled <- b.fetchProfile(profile, max(1, int(b.duration.Seconds()))) }()
	} else {
		profiled <- nil
	}
	time.Sleep(b.duration)
	s1, err := b.sample(r)
	if err != nil {
		return row, err
	}
	if err := <-profiled; err != nil {
		return row, err
	}
	if err := gen.wait(total + 10*time.Second); err != nil {
		return row, err
	}
	var g genReport
	if err := json.Unmarshal([]byte(out.String()), &g); err != nil {
		return row, fmt.Errorf("generator output %q: %w", out.String(), err)
	}
	window := s1.at.Sub(s0.at).Seconds()
	delivered := s1.sink.Packets - s0.sink.Packets
	row.Mpps = float64(delivered) / window / 1e6
	row.OfferedMpps = g.PPS / 1e6
	row.CPU = cpuShare(s0.cpus, s1.cpus)
	row.Drops = drops(s0.counters, s1.counters, delivered)
	row.Counters = deltas(s0.counters, s1.counters)
	return row, nil
}

// deltas returns the counters that moved from a to b, by how much (nil
// when b is nil: the path has no counters). A counter that went down (a
// restarted process) is left out rather than wrapped.
func deltas(a, b map[string]uint64) map[string]uint64 {
	if b == nil {
		return nil
	}
	d := map[string]uint64{}
	for k, v := range b {
		if v > a[k] {
			d[k] = v - a[k]
		}
	}
	return d
}

// drops returns the non-zero drop counters between two counter sets;
// "not-received": what the XDP program steered to the sockets
// ("xdp-steer-*") but the workers did not receive (the kernel's copy into
// a full RX ring, or no free frame in the fill ring); and
// "not-forwarded": what the path received ("rx-packets") but did not
// deliver. The kernel's socket counters say why frames were not received:
// "xsk-rx-ring-full" (the worker did not keep up) or "xsk-rx-dropped" (no
// free frame on the fill ring).
func drops(a, b map[string]uint64, delivered uint64) map[string]uint64 {
	if b == nil {
		return nil
	}
	d := map[string]uint64{}
	var steered uint64
	for k, v := range b {
		if (strings.HasPrefix(k, "drop-") || k == "xdp-pass-no-xsk" || k == "xsk-rx-ring-full" || k == "xsk-rx-dropped") && v > a[k] {
			d[k] = v - a[k]
		}
		if strings.HasPrefix(k, "xdp-steer-") && v > a[k] {
			steered += v - a[k]
		}
	}
	rx := b["rx-packets"] - a["rx-packets"]
	if steered > rx {
		d["not-received"] = steered - rx
	}
	if rx > delivered {
		d["not-forwarded"] = rx - delivered
	}
	return d
}

// dropText formats drops for the table: "reason n, ...", largest first.
func dropText(d map[string]uint64) string {
	if len(d) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return d[keys[i]] > d[keys[j]] || d[keys[i]] == d[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, d[k]))
	}
	return strings.Join(parts, ", ")
}
