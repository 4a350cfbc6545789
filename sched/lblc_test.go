package sched

import (
	"testing"
	"time"
)

// fakeClock is a settable [Clock].
type fakeClock struct{ t int64 }

func (c *fakeClock) now() int64              { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t += int64(d) }
func dstKey(last byte) Key                   { return Key{Src: v4(198, 19, 0, 1), Dst: v4(198, 18, 9, last)} }

// pickOpen picks for k and opens an active connection on the choice.
func pickOpen(s Scheduler, ds []Dest, k *Key) int {
	p := s.Pick(ds, k)
	if p >= 0 {
		ds[p].ActiveConns++
	}
	return p
}

func TestLBLCKeepsDestinationAddressOnServer(t *testing.T) {
	// A=4 B=4. For destination X, wlc first picks A (tie, first). X stays
	// on A while A has no more active connections than its weight: picks
	// 2-5 (A reaches 5). At pick 6 A is over its weight while B is under
	// half of its own: wlc picks B and X moves there; B then keeps X even
	// past its weight, because no server is under half its weight any more.
	ds := mkDests(4, 4)
	clk := &fakeClock{}
	s := NewLBLCWithClock(ds, 0, clk.now, int64(LocalityExpiration))
	x := dstKey(1)
	got := make([]int, 12)
	for i := range got {
		got[i] = pickOpen(s, ds, &x)
	}
	if want := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	// Another destination address is scheduled afresh: A 5/4 < B 7/4.
	y := dstKey(2)
	if p := s.Pick(ds, &y); p != 0 {
		t.Fatalf("new destination: Pick = %d, want 0", p)
	}
}

func TestLBLCCacheValidity(t *testing.T) {
	ds := mkDests(1, 1)
	clk := &fakeClock{}
	s := NewLBLCWithClock(ds, 0, clk.now, int64(LocalityExpiration))
	x := dstKey(1)
	if p := s.Pick(ds, &x); p != 0 {
		t.Fatalf("Pick = %d, want 0", p)
	}
	ds[0].ActiveConns = 1 // wlc would now pick B
	// The kernel reuses the cached server even when its connection
	// threshold marked it overloaded (only weight and availability count).
	ds[0].Flags |= FlagOverloaded
	if p := s.Pick(ds, &x); p != 0 {
		t.Fatalf("cached, threshold-overloaded: Pick = %d, want 0", p)
	}
	ds[0].Flags &^= FlagOverloaded
	// Quiesced: rescheduled to B, and the cache now says B.
	ds[0].Weight = 0
	if p := s.Pick(ds, &x); p != 1 {
		t.Fatalf("cached server quiesced: Pick = %d, want 1", p)
	}
	ds[0].Weight = 1
	if p := s.Pick(ds, &x); p != 1 {
		t.Fatalf("after move: Pick = %d, want 1", p)
	}
	// Out of service: rescheduled.
	ds[1].Flags = 0
	if p := s.Pick(ds, &x); p != 0 {
		t.Fatalf("cached server removed: Pick = %d, want 0", p)
	}
}

func TestLBLCExpiry(t *testing.T) {
	// With a 10-minute expiration: X is cached on A at t=0. A keeps one
	// active connection (not over its weight 4), so X stays on A although
	// wlc prefers B. The collector runs on the first Pick after each
	// 60 s; the 30th run is a full check, which drops X (unused for more
	// than 10 minutes). Y is picked meanwhile and stays fresh.
	ds := mkDests(4, 4)
	clk := &fakeClock{}
	s := NewLBLCWithClock(ds, 0, clk.now, int64(10*time.Minute))
	x, y := dstKey(1), dstKey(2)
	if p := s.Pick(ds, &x); p != 0 {
		t.Fatalf("Pick = %d, want 0", p)
	}
	ds[0].ActiveConns = 1
	tbl := &s.(*localityLC).tbl
	for range 29 {
		clk.advance(61 * time.Second)
		s.Pick(ds, &y)
	}
	if tbl.get(&x.Dst) < 0 {
		t.Fatal("entry expired before the full check")
	}
	clk.advance(61 * time.Second)
	s.Pick(ds, &y)
	if tbl.get(&x.Dst) >= 0 || tbl.get(&y.Dst) < 0 {
		t.Fatalf("after the full check: X cached %v, Y cached %v; want false, true",
			tbl.get(&x.Dst) >= 0, tbl.get(&y.Dst) >= 0)
	}
	if p := s.Pick(ds, &x); p != 1 {
		t.Fatalf("expired X: Pick = %d, want 1 (fresh wlc)", p)
	}
}

func TestLBLCTableLimit(t *testing.T) {
	// The table refuses new entries beyond max_size+1 = 16385; picks still
	// succeed uncached. Past the limit, the next collection removes
	// entries unused for 6 minutes.
	ds := mkDests(1, 1)
	clk := &fakeClock{}
	s := NewLBLCWithClock(ds, 0, clk.now, int64(LocalityExpiration))
	tbl := &s.(*localityLC).tbl
	var k Key
	for i := range locMaxEntries + 100 {
		k.Dst = [16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}
		if p := s.Pick(ds, &k); p < 0 {
			t.Fatalf("pick %d failed", i)
		}
	}
	if tbl.entries != locMaxEntries+1 {
		t.Fatalf("entries = %d, want %d", tbl.entries, locMaxEntries+1)
	}
	clk.advance(7 * time.Minute)
	s.Pick(ds, &k)
	if tbl.entries > locMaxEntries {
		t.Fatalf("entries = %d after collection, want at most %d", tbl.entries, locMaxEntries)
	}
}

func TestLBLCRReplicates(t *testing.T) {
	// A=2 B=2 C=2, all for destination X, each pick opening a connection.
	//  1: no entry → wlc A; set {A}.   2, 3: A (A <= its weight).
	//  4: A=3 > 2 and B under half → wlc B; set {B A}.   5, 6: min B.
	//  7: min B (768/2, before A 768/2); B=3 > 2, C under half → wlc C;
	//     set {C B A}.   8, 9: C.
	// 10: min C (first of three equals); C=3 > 2 but nobody is under half
	//     its weight any more → C.
	ds := mkDests(2, 2, 2)
	clk := &fakeClock{}
	s := NewLBLCRWithClock(ds, 0, clk.now, int64(10*time.Minute))
	x := dstKey(1)
	got := make([]int, 10)
	for i := range got {
		got[i] = pickOpen(s, ds, &x)
		clk.advance(time.Second)
	}
	if want := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 2}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	l := s.(*localityLCR)
	en := &l.tbl.ent[l.tbl.get(&x.Dst)]
	if en.size != 3 {
		t.Fatalf("set size = %d, want 3", en.size)
	}
	// 11 minutes later (set unchanged for > 10), with A the most loaded:
	// min is B (768/2 < C 1024/2 < A 2560/2), and the set sheds its most
	// loaded member A. B is returned: over its weight, but nobody is under
	// half.
	clk.advance(11 * time.Minute)
	ds[0].ActiveConns = 10
	if p := s.Pick(ds, &x); p != 1 {
		t.Fatalf("Pick = %d, want 1", p)
	}
	if en.size != 2 || l.sets.el[en.dest].dest != 2 || l.sets.el[l.sets.el[en.dest].next].dest != 1 {
		t.Fatalf("set after shrink: size %d, want {C B}", en.size)
	}
	// Just modified: no further shrink.
	s.Pick(ds, &x)
	if en.size != 2 {
		t.Fatalf("set size = %d, want 2", en.size)
	}
	// Quiesced and overloaded members are not chosen from the set.
	ds[1].Weight = 0
	ds[2].Flags |= FlagOverloaded
	if p := s.Pick(ds, &x); p != 0 {
		t.Fatalf("Pick = %d, want 0 (rescheduled to A)", p)
	}
	if en.size != 3 {
		t.Fatalf("set size = %d, want 3 (A added back)", en.size)
	}
}
