package sched

import (
	"errors"
	"testing"
)

func maglevCounts(t *testing.T, table []int32, n int) []int {
	t.Helper()
	counts := make([]int, n)
	for i, d := range table {
		if d < 0 {
			t.Fatalf("slot %d is empty", i)
		}
		counts[d]++
	}
	return counts
}

func TestMaglevTableKnownAnswer(t *testing.T) {
	// Destinations 198.18.0.1:80, .2:80, .3:80 with weights 1, 2, 3: the
	// table computed by an independent implementation of
	// ip_vs_mh_permutate/ip_vs_mh_populate (hsiphash offsets and skips).
	ds := mkDests(1, 2, 3)
	for _, tc := range []struct {
		size     int
		prefix   []int32
		checksum uint32 // sum of slot*(owner+1) mod 2^32
	}{
		{251, []int32{0, 1, 2, 2, 1, 1, 1, 2, 1, 2, 1, 2, 2, 2, 1, 2, 2, 1, 1, 2, 2, 0, 0, 1}, 73011},
		{4093, []int32{1, 2, 1, 2, 2, 1, 0, 2, 2, 2, 0, 1, 2, 1, 2, 2, 2, 1, 2, 1, 0, 2, 2, 1}, 19508625},
	} {
		table, err := MaglevTable(ds, tc.size)
		if err != nil {
			t.Fatal(err)
		}
		var sum uint32
		for i, d := range table {
			sum += uint32(i) * uint32(d+1)
		}
		for i, want := range tc.prefix {
			if table[i] != want {
				t.Fatalf("size %d: slot %d = %d, want %d", tc.size, i, table[i], want)
			}
		}
		if sum != tc.checksum {
			t.Errorf("size %d: checksum %d, want %d", tc.size, sum, tc.checksum)
		}
	}
}

func TestMHPickKnownAnswer(t *testing.T) {
	// Default table (4093) for weights 1,2,3. 198.18.7.1 → slot 3267
	// (owner 2), 198.18.7.2 → slot 477 (owner 1). With 1 overloaded and
	// mh-fallback, 198.18.7.2 is rehashed with offsets 477, 478, …: offset
	// 478 lands on slot 3211, owned by 2.
	ds := mkDests(1, 2, 3)
	s := NewMH(ds, 0)
	for _, tc := range []struct {
		last byte
		want int
	}{{1, 2}, {2, 1}} {
		k := Key{Src: v4(198, 18, 7, tc.last), SrcPort: 5555, Proto: protoTCP}
		if got := s.Pick(ds, &k); got != tc.want {
			t.Errorf("198.18.7.%d: Pick = %d, want %d", tc.last, got, tc.want)
		}
	}
	ds[1].Flags |= FlagOverloaded
	k := Key{Src: v4(198, 18, 7, 2)}
	if got := s.Pick(ds, &k); got != -1 {
		t.Errorf("owner overloaded, no fallback: Pick = %d, want -1", got)
	}
	if got := NewMH(ds, MHFallback).Pick(ds, &k); got != 2 {
		t.Errorf("owner overloaded, fallback: Pick = %d, want 2", got)
	}
}

func TestMaglevTableShares(t *testing.T) {
	// Each round of population gives every destination `turns` slots in
	// list order, until the table is full, so shares are exact:
	for _, tc := range []struct {
		name    string
		weights []int32
		want    []int
	}{
		// one destination takes every slot.
		{"single", []int32{7}, []int{4093}},
		// 10 equal: 409 full rounds (4090 slots), the 410th fills 3 more.
		{"equal", []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int{410, 410, 410, 409, 409, 409, 409, 409, 409, 409}},
		// gcd 2 → turns 1, 2, 3: 682 rounds of 6 = 4092, then 1 slot for A.
		{"gcd", []int32{2, 4, 6}, []int{683, 1364, 2046}},
		// max/gcd = 1000 needs 10 bits, the table 6 (index 12 / 2): shift
		// 4, turns 1000>>4 = 62 and 1>>4 = 0 → 1. 64 rounds of 63 = 4032,
		// then 61 more for A.
		{"shifted", []int32{1000, 1}, []int{4029, 64}},
		// weight 0 (and never non-zero) takes no slot.
		{"quiesced at add", []int32{1, 0, 1}, []int{2047, 0, 2046}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := MaglevTable(mkDests(tc.weights...), MaglevDefaultSize)
			if err != nil {
				t.Fatal(err)
			}
			got := maglevCounts(t, table, len(tc.weights))
			if !equalInts(got, tc.want) {
				t.Errorf("slot counts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMaglevQuiesceKeepsSlots(t *testing.T) {
	// Setting a weight to 0 keeps last_weight, so the table is unchanged
	// and only that server's connections are affected.
	ds := mkDests(1, 1, 1, 1)
	before, _ := MaglevTable(ds, 251)
	ds[2].Weight, ds[2].LastWeight = 0, 1
	after, _ := MaglevTable(ds, 251)
	if !equalInts32(before, after) {
		t.Fatal("quiescing a server changed the Maglev table")
	}
	s := NewMH(ds, 0)
	fb := NewMH(ds, MHFallback)
	for n := range 2000 {
		k := keyN(n)
		p := s.Pick(ds, &k)
		if p == 2 {
			t.Fatalf("key %d: quiesced server picked", n)
		}
		if q := fb.Pick(ds, &k); q < 0 || q == 2 {
			t.Fatalf("key %d: fallback picked %d", n, q)
		} else if p >= 0 && q != p {
			t.Fatalf("key %d: fallback moved a key from %d to %d", n, p, q)
		}
	}
}

func TestMaglevMinimalDisruption(t *testing.T) {
	// Removing one of 20 equal servers moves its slots to the others; of
	// the other servers' slots, Maglev moves only a few (the paper reports
	// a few percent). Tiling (sh) moves most of them.
	ds := mkDests(make([]int32, 20)...)
	for i := range ds {
		ds[i].Weight = 1
	}
	before, _ := MaglevTable(ds, MaglevDefaultSize)
	ds[7].Flags = 0
	after, _ := MaglevTable(ds, MaglevDefaultSize)
	moved, kept := 0, 0
	for i := range before {
		if after[i] == 7 {
			t.Fatalf("slot %d still owned by the removed server", i)
		}
		if before[i] == 7 {
			continue
		}
		if after[i] != before[i] {
			moved++
		} else {
			kept++
		}
	}
	if frac := float64(moved) / float64(moved+kept); frac > 0.05 {
		t.Errorf("%.1f%% of the remaining servers' slots moved, want <= 5%%", 100*frac)
	}
	counts := maglevCounts(t, after, 20)
	for i, c := range counts {
		if i != 7 && (c < 4093/19 || c > 4093/19+1) {
			t.Errorf("server %d has %d slots after removal, want %d or %d", i, c, 4093/19, 4093/19+1)
		}
	}
}

func TestMaglevTableSize(t *testing.T) {
	if _, err := MaglevTable(mkDests(1), 1000); !errors.Is(err, ErrMaglevSize) {
		t.Errorf("size 1000: err = %v, want ErrMaglevSize", err)
	}
	if _, err := NewMaglev(mkDests(1), 0, 0); !errors.Is(err, ErrMaglevSize) {
		t.Errorf("size 0: err = %v, want ErrMaglevSize", err)
	}
	for _, size := range maglevPrimes[:6] {
		table, err := MaglevTable(mkDests(1, 1, 1), size)
		if err != nil || len(table) != size {
			t.Errorf("size %d: len %d, err %v", size, len(table), err)
		}
	}
	// More servers than slots: every slot is filled, the later servers
	// get none.
	many := make([]int32, 300)
	for i := range many {
		many[i] = 1
	}
	table, err := MaglevTable(mkDests(many...), 251)
	if err != nil {
		t.Fatal(err)
	}
	counts := maglevCounts(t, table, 300)
	for i, c := range counts {
		if want := map[bool]int{true: 1, false: 0}[i < 251]; c != want {
			t.Fatalf("server %d has %d slots, want %d", i, c, want)
		}
	}
}

func equalInts32(a, b []int32) bool {
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
