package sched

import (
	"math/rand/v2"
	"testing"
)

// v4 returns the ::ffff:a.b.c.d form of an IPv4 address.
func v4(a, b, c, d byte) [16]byte {
	return [16]byte{10: 0xff, 11: 0xff, 12: a, 13: b, 14: c, 15: d}
}

// mkDests returns available destinations 198.18.0.1, .2, … with the given
// weights.
func mkDests(weights ...int32) []Dest {
	ds := make([]Dest, len(weights))
	for i, w := range weights {
		ds[i] = Dest{
			Addr:   v4(198, 18, byte(i>>8), byte(i+1)),
			Port:   80,
			Weight: w,
			Flags:  FlagAvailable,
		}
	}
	return ds
}

// build builds the registered scheduler name for dests.
func build(t testing.TB, name string, dests []Dest, flags Flags) Scheduler {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("scheduler %q is not registered", name)
	}
	return f(dests, flags)
}

// picks returns n consecutive picks without changing any counts.
func picks(s Scheduler, dests []Dest, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = s.Pick(dests, nil)
	}
	return out
}

// openPicks returns n consecutive picks, each opening an active
// connection on the chosen destination as a worker would.
func openPicks(s Scheduler, dests []Dest, n int) []int {
	out := make([]int, n)
	for i := range out {
		p := s.Pick(dests, nil)
		out[i] = p
		if p >= 0 {
			dests[p].ActiveConns++
			UpdateOverload(&dests[p])
		}
	}
	return out
}

// equalInts reports whether two int slices are equal.
func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// simulation drives a scheduler with connections that open on each pick
// and close at random, keeping about target connections open, as a
// worker's counts would evolve. It checks on every pick that the chosen
// destination was usable at that moment.
type simulation struct {
	t      testing.TB
	s      Scheduler
	dests  []Dest
	rnd    *rand.Rand
	open   []int // destination index of each open connection
	counts []int // picks per destination
	maxTot []uint32
}

func newSimulation(t testing.TB, s Scheduler, dests []Dest, seed uint64) *simulation {
	return &simulation{
		t: t, s: s, dests: dests,
		rnd:    rand.New(rand.NewPCG(seed, 0x5eed)),
		counts: make([]int, len(dests)),
		maxTot: make([]uint32, len(dests)),
	}
}

// run makes steps picks; each opened connection is active, and every
// fifth one becomes inactive right away (as a closed-but-lingering TCP
// connection would), so that inactive counts matter too.
func (sim *simulation) run(steps, target int) {
	k := Key{Proto: protoTCP}
	for step := range steps {
		k.Src = v4(198, 19, byte(step>>8), byte(step))
		k.SrcPort = uint16(1024 + step%50000)
		p := sim.s.Pick(sim.dests, &k)
		if p < 0 {
			sim.t.Fatalf("step %d: no destination picked", step)
		}
		d := &sim.dests[p]
		if !d.usable() {
			sim.t.Fatalf("step %d: picked %d, which is unusable: %+v", step, p, *d)
		}
		sim.counts[p]++
		if step%5 == 0 {
			d.InactConns++
			sim.open = append(sim.open, -1-p)
		} else {
			d.ActiveConns++
			sim.open = append(sim.open, p)
		}
		UpdateOverload(d)
		sim.maxTot[p] = max(sim.maxTot[p], d.ActiveConns+d.InactConns)
		for len(sim.open) > target {
			sim.closeRandom()
		}
	}
}

func (sim *simulation) closeRandom() {
	j := sim.rnd.IntN(len(sim.open))
	c := sim.open[j]
	sim.open[j] = sim.open[len(sim.open)-1]
	sim.open = sim.open[:len(sim.open)-1]
	if c < 0 {
		d := &sim.dests[-1-c]
		d.InactConns--
		UpdateOverload(d)
		return
	}
	d := &sim.dests[c]
	d.ActiveConns--
	UpdateOverload(d)
}

// checkShares fails unless destination i received a share of the picks
// within tol (relative) of want[i]/sum(want).
func checkShares(t testing.TB, counts []int, want []float64, tol float64) {
	t.Helper()
	var total int
	var wsum float64
	for i := range counts {
		total += counts[i]
		wsum += want[i]
	}
	for i := range counts {
		exp := want[i] / wsum
		got := float64(counts[i]) / float64(total)
		if exp == 0 {
			if counts[i] != 0 {
				t.Errorf("dest %d: %d picks, want none", i, counts[i])
			}
			continue
		}
		if d := (got - exp) / exp; d > tol || d < -tol {
			t.Errorf("dest %d: share %.4f, want %.4f ±%.0f%% (counts %v)", i, got, exp, tol*100, counts)
		}
	}
}
