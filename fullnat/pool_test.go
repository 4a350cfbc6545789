package fullnat

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func newPoolT(t testing.TB, cfg Config) *Pool {
	t.Helper()
	p, err := NewPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSlicesPartitionTheRange checks that the workers' slices are
// disjoint, cover the range exactly and agree with Owner, for several
// worker counts and ranges.
func TestSlicesPartitionTheRange(t *testing.T) {
	ranges := [][2]uint16{{DefaultMinPort, DefaultMaxPort}, {1, 65535}, {40000, 40009}, {7, 7}, {0, 0}}
	for _, rg := range ranges {
		for _, n := range []int{1, 2, 3, 4, 7, 64} {
			lo, hi := int(rg[0]), int(rg[1])
			if rg[0] == 0 {
				lo, hi = DefaultMinPort, DefaultMaxPort
			}
			seen := make(map[uint16]int)
			for w := 0; w < n; w++ {
				p, err := NewPool(Config{Workers: n, Worker: w, MinPort: rg[0], MaxPort: rg[1], Addrs: 1})
				if errors.Is(err, ErrNoPorts) && hi-lo+1 < n {
					continue // fewer ports than workers: this one has none
				}
				if err != nil {
					t.Fatalf("range %v, worker %d/%d: %v", rg, w, n, err)
				}
				for {
					port, ok := p.Alloc(0, ProtoTCP)
					if !ok {
						break
					}
					if int(port) < lo || int(port) > hi {
						t.Fatalf("range %v, worker %d/%d: port %d out of range", rg, w, n, port)
					}
					if o := Owner(port, n); o != w {
						t.Fatalf("range %v: worker %d/%d got port %d owned by %d", rg, w, n, port, o)
					}
					if prev, dup := seen[port]; dup {
						t.Fatalf("range %v: port %d given to workers %d and %d", rg, port, prev, w)
					}
					seen[port] = w
				}
			}
			if len(seen) != hi-lo+1 {
				t.Errorf("range %v, %d workers: %d ports handed out, want %d", rg, n, len(seen), hi-lo+1)
			}
		}
	}
}

func TestNewPoolRejects(t *testing.T) {
	tests := []struct {
		cfg  Config
		want error
	}{
		{Config{Workers: 0, Addrs: 1}, ErrWorkers},
		{Config{Workers: 2, Worker: 2, Addrs: 1}, ErrWorkers},
		{Config{Workers: 2, Worker: -1, Addrs: 1}, ErrWorkers},
		{Config{Workers: 1, MinPort: 2000, MaxPort: 1000, Addrs: 1}, ErrPortRange},
		{Config{Workers: 1, Addrs: 0}, ErrAddrs},
		{Config{Workers: 1, Addrs: MaxAddrs + 1}, ErrAddrs},
		{Config{Workers: 4, Worker: 3, MinPort: 100, MaxPort: 101, Addrs: 1}, ErrNoPorts},
	}
	for _, tt := range tests {
		if _, err := NewPool(tt.cfg); !errors.Is(err, tt.want) {
			t.Errorf("NewPool(%+v) = %v, want %v", tt.cfg, err, tt.want)
		}
	}
	p := newPoolT(t, Config{Workers: 1, Addrs: 1})
	if c := p.Config(); c.MinPort != DefaultMinPort || c.MaxPort != DefaultMaxPort {
		t.Errorf("defaults: %+v", c)
	}
	if p.Ports() != DefaultMaxPort-DefaultMinPort+1 {
		t.Errorf("Ports = %d", p.Ports())
	}
}

// TestPoolAgainstSet runs random allocations and releases against a set
// of the ports in use, checking uniqueness, ownership, free counts and
// that exhaustion happens exactly when the slice is used up.
func TestPoolAgainstSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range []Config{
		{Workers: 3, Worker: 1, MinPort: 1000, MaxPort: 1400, Addrs: 3},
		{Workers: 2, Worker: 0, Addrs: 2},
		{Workers: 1, MinPort: 5000, MaxPort: 5063, Addrs: 1}, // exactly one leaf word
		{Workers: 1, MinPort: 5000, MaxPort: 5064, Addrs: 1}, // one bit into the next
	} {
		p := newPoolT(t, cfg)
		type key struct {
			addr  uint32
			proto uint8
		}
		inUse := map[key]map[uint16]bool{}
		var held []struct {
			k    key
			port uint16
		}
		for i := 0; i < 200000; i++ {
			k := key{uint32(r.IntN(cfg.Addrs)), []uint8{ProtoTCP, ProtoUDP}[r.IntN(2)]}
			if inUse[k] == nil {
				inUse[k] = map[uint16]bool{}
			}
			if len(held) > 0 && r.IntN(100) < 45 {
				j := r.IntN(len(held))
				h := held[j]
				held[j] = held[len(held)-1]
				held = held[:len(held)-1]
				if !p.Release(h.k.addr, h.k.proto, h.port) {
					t.Fatalf("release of held port %d refused", h.port)
				}
				delete(inUse[h.k], h.port)
				continue
			}
			port, ok := p.Alloc(k.addr, k.proto)
			if ok != (len(inUse[k]) < p.Ports()) {
				t.Fatalf("%+v: Alloc ok=%v with %d of %d in use", cfg, ok, len(inUse[k]), p.Ports())
			}
			if !ok {
				continue
			}
			if inUse[k][port] {
				t.Fatalf("%+v: port %d of %v handed out twice", cfg, port, k)
			}
			if Owner(port, cfg.Workers) != cfg.Worker || port < p.Config().MinPort || port > p.Config().MaxPort {
				t.Fatalf("%+v: port %d not this worker's", cfg, port)
			}
			inUse[k][port] = true
			held = append(held, struct {
				k    key
				port uint16
			}{k, port})
			if got, want := p.Free(k.addr, k.proto), p.Ports()-len(inUse[k]); got != want {
				t.Fatalf("Free = %d, want %d", got, want)
			}
		}
		st := p.Stats()
		if st.Allocs-st.Releases != uint64(len(held)) || st.BadReleases != 0 {
			t.Errorf("%+v: stats %+v with %d held", cfg, st, len(held))
		}
	}
}

// TestExhaustionIsSurvivable uses up a tiny pool, checks refusals are
// counted and that releasing a port makes allocation work again.
func TestExhaustionIsSurvivable(t *testing.T) {
	p := newPoolT(t, Config{Workers: 2, Worker: 1, MinPort: 2000, MaxPort: 2007, Addrs: 2})
	if p.Ports() != 4 {
		t.Fatalf("Ports = %d, want 4 (2001, 2003, 2005, 2007)", p.Ports())
	}
	var got []uint16
	for range 4 {
		port, ok := p.Alloc(1, ProtoTCP)
		if !ok {
			t.Fatal("pool exhausted early")
		}
		got = append(got, port)
	}
	if want := []uint16{2001, 2003, 2005, 2007}; !slices.Equal(got, want) {
		t.Errorf("ports %v, want %v", got, want)
	}
	for range 3 {
		if _, ok := p.Alloc(1, ProtoTCP); ok {
			t.Fatal("allocated from an exhausted slot")
		}
	}
	if p.Exhausted(1) != 3 || p.Stats().Exhausted != 3 {
		t.Errorf("exhausted: slot %d, total %d, want 3", p.Exhausted(1), p.Stats().Exhausted)
	}
	// The other protocol and the other address are unaffected.
	if _, ok := p.Alloc(1, ProtoUDP); !ok {
		t.Error("UDP ports of the same address refused")
	}
	if _, ok := p.Alloc(0, ProtoTCP); !ok {
		t.Error("TCP ports of another address refused")
	}
	if !p.Release(1, ProtoTCP, 2005) {
		t.Fatal("release refused")
	}
	if port, ok := p.Alloc(1, ProtoTCP); !ok || port != 2005 {
		t.Errorf("after release: %d %v, want 2005", port, ok)
	}
}

func TestBadReleases(t *testing.T) {
	p := newPoolT(t, Config{Workers: 2, Worker: 0, MinPort: 2000, MaxPort: 2099, Addrs: 1})
	port, _ := p.Alloc(0, ProtoTCP)
	bad := []struct {
		addr  uint32
		proto uint8
		port  uint16
	}{
		{0, ProtoTCP, port + 2}, // free already
		{0, ProtoTCP, port + 1}, // another worker's
		{0, ProtoTCP, 1998},     // below the range
		{0, ProtoTCP, 2100},     // above the range
		{1, ProtoTCP, port},     // no such slot
		{0, 132, port},          // no such protocol
		{0, ProtoUDP, port},     // not in use for UDP
	}
	for _, b := range bad {
		if p.Release(b.addr, b.proto, b.port) {
			t.Errorf("Release(%d, %d, %d) accepted", b.addr, b.proto, b.port)
		}
	}
	if st := p.Stats(); st.BadReleases != uint64(len(bad)) || st.Releases != 0 {
		t.Errorf("stats %+v", st)
	}
	if !p.Release(0, ProtoTCP, port) || p.Release(0, ProtoTCP, port) {
		t.Error("release, then double release")
	}
}

// TestCursorRotates checks that a released port is not reused while
// other ports are free: the cursor goes round the whole slice first.
func TestCursorRotates(t *testing.T) {
	p := newPoolT(t, Config{Workers: 1, MinPort: 3000, MaxPort: 3199, Addrs: 1})
	first, _ := p.Alloc(0, ProtoUDP)
	p.Release(0, ProtoUDP, first)
	for i := 1; i < p.Ports(); i++ {
		port, ok := p.Alloc(0, ProtoUDP)
		if !ok || port == first {
			t.Fatalf("allocation %d: %d %v; the released port came back too early", i, port, ok)
		}
		p.Release(0, ProtoUDP, port)
	}
	if port, _ := p.Alloc(0, ProtoUDP); port != first {
		t.Errorf("after a full round: %d, want %d", port, first)
	}
}

// TestPickRoundRobin checks DPVS's round robin over a service's local
// addresses and that exhausted addresses are passed over.
func TestPickRoundRobin(t *testing.T) {
	p := newPoolT(t, Config{Workers: 1, MinPort: 100, MaxPort: 101, Addrs: 4})
	addrs := []uint32{3, 1, 2}
	var rr uint32
	var order []uint32
	for range 6 {
		a, _, ok := p.Pick(addrs, ProtoTCP, &rr)
		if !ok {
			t.Fatal("Pick failed with free ports")
		}
		order = append(order, a)
	}
	if want := []uint32{3, 1, 2, 3, 1, 2}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if _, _, ok := p.Pick(addrs, ProtoTCP, &rr); ok {
		t.Error("Pick succeeded with every address exhausted")
	}
	if p.Stats().Exhausted != 1 {
		t.Errorf("Exhausted = %d, want 1", p.Stats().Exhausted)
	}
	p.Release(1, ProtoTCP, 100)
	if a, port, ok := p.Pick(addrs, ProtoTCP, &rr); !ok || a != 1 || port != 100 {
		t.Errorf("after a release: %d:%d %v, want 1:100", a, port, ok)
	}
	if _, _, ok := p.Pick(nil, ProtoTCP, &rr); ok {
		t.Error("Pick without addresses succeeded")
	}
	p.Reset(2)
	if p.Free(2, ProtoTCP) != 2 || p.Free(2, ProtoUDP) != 2 {
		t.Errorf("after Reset: %d/%d free", p.Free(2, ProtoTCP), p.Free(2, ProtoUDP))
	}
}

func TestOwner(t *testing.T) {
	for _, tt := range []struct {
		port    uint16
		workers int
		want    int
	}{{1025, 1, 0}, {1025, 0, 0}, {1025, 2, 1}, {1026, 2, 0}, {65535, 3, 0}, {65534, 3, 2}} {
		if got := Owner(tt.port, tt.workers); got != tt.want {
			t.Errorf("Owner(%d, %d) = %d, want %d", tt.port, tt.workers, got, tt.want)
		}
	}
}

func TestPoolAllocs(t *testing.T) {
	p := newPoolT(t, Config{Workers: 2, Worker: 1, Addrs: 4})
	addrs := []uint32{0, 1, 2, 3}
	var rr uint32
	allocs := testing.AllocsPerRun(1000, func() {
		a, port, ok := p.Pick(addrs, ProtoTCP, &rr)
		if ok {
			p.Release(a, ProtoTCP, port)
		}
		port, _ = p.Alloc(1, ProtoUDP)
		p.Release(1, ProtoUDP, port)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}

// BenchmarkPortAllocRelease measures one allocation and one release on a
// half-full slot, the steady state of a busy director.
func BenchmarkPortAllocRelease(b *testing.B) {
	p := newPoolT(b, Config{Workers: 2, Worker: 0, Addrs: 4})
	r := rand.New(rand.NewPCG(3, 4))
	held := make([]uint16, 0, p.Ports())
	for range p.Ports() / 2 {
		port, _ := p.Alloc(0, ProtoTCP)
		held = append(held, port)
	}
	r.Shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
	addrs := []uint32{0}
	var rr uint32
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, port, _ := p.Pick(addrs, ProtoTCP, &rr)
		p.Release(0, ProtoTCP, held[i])
		held[i] = port
		i++
		if i == len(held) {
			i = 0
		}
	}
}
