package sched

import "testing"

func TestSHTableTilesByWeight(t *testing.T) {
	// ip_vs_sh_reassign: each destination fills weight buckets in list
	// order, wrapping; weight 0 still takes one bucket. A=2 B=0 C=3 gives
	// the period A A B C C C; a destination out of service takes none.
	ds := mkDests(2, 0, 3)
	s := NewSH(ds, 0).(*sourceHash)
	period := []int32{0, 0, 1, 2, 2, 2}
	for i, got := range s.table {
		if want := period[i%len(period)]; got != want {
			t.Fatalf("bucket %d = %d, want %d", i, got, want)
		}
	}
	ds = mkDests(1, 1, 1)
	ds[1].Flags = 0
	s = NewSH(ds, 0).(*sourceHash)
	for i, got := range s.table {
		if want := []int32{0, 2}[i%2]; got != want {
			t.Fatalf("bucket %d = %d, want %d", i, got, want)
		}
	}
}

func TestSHKernelHash(t *testing.T) {
	// Table period A A B C C C (weights 2,0,3). Buckets are
	// hash_32(port + addr, 8): 198.18.7.9 → 70 (70 mod 6 = 4: C); with
	// sh-port and TCP source port 40000 → 234 (234 mod 6 = 0: A);
	// 2001:db8::1 folds to 0x20010db9 → 63 (63 mod 6 = 3: C).
	ds := mkDests(2, 0, 3)
	k := Key{Src: v4(198, 18, 7, 9), SrcPort: 40000, Proto: protoTCP}
	if got := NewSH(ds, 0).Pick(ds, &k); got != 2 {
		t.Errorf("198.18.7.9: Pick = %d, want 2", got)
	}
	if got := NewSH(ds, SHPort).Pick(ds, &k); got != 0 {
		t.Errorf("198.18.7.9:40000 with sh-port: Pick = %d, want 0", got)
	}
	icmp := k
	icmp.Proto = 1
	if got := NewSH(ds, SHPort).Pick(ds, &icmp); got != 2 {
		t.Errorf("ICMP with sh-port (no port hashed): Pick = %d, want 2", got)
	}
	k6 := Key{Src: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}}
	if got := NewSH(ds, 0).Pick(ds, &k6); got != 2 {
		t.Errorf("2001:db8::1: Pick = %d, want 2", got)
	}
}

func TestSHFallback(t *testing.T) {
	// 198.18.7.9 hashes to bucket h = 70, owned by C (weights 2,0,3).
	// With C overloaded, sh returns nothing; with sh-fallback it probes
	// bucket (off + 2h) mod 256 for off = 0, 1, …: 140 (C), 141 (C),
	// 142 (C), 143 (C), 144 (144 mod 6 = 0: A).
	ds := mkDests(2, 0, 3)
	ds[2].Flags |= FlagOverloaded
	k := Key{Src: v4(198, 18, 7, 9)}
	if got := NewSH(ds, 0).Pick(ds, &k); got != -1 {
		t.Errorf("without fallback: Pick = %d, want -1", got)
	}
	if got := NewSH(ds, SHFallback).Pick(ds, &k); got != 0 {
		t.Errorf("with fallback: Pick = %d, want 0", got)
	}
}

func TestSHIsStickyAndWeighted(t *testing.T) {
	// The same source always gets the same server; over many sources the
	// share follows the bucket counts: 256 buckets tiled A B B C C C
	// (weights 1,2,3) are 42 periods (42, 84, 126) plus A B B C: 43, 86, 127.
	ds := mkDests(1, 2, 3)
	s := NewSH(ds, 0)
	counts := make([]int, 3)
	for i := range 256 {
		counts[s.(*sourceHash).table[i]]++
	}
	if counts[0] != 43 || counts[1] != 86 || counts[2] != 127 {
		t.Fatalf("bucket counts = %v, want [43 86 127]", counts)
	}
	for n := range 1000 {
		k := keyN(n)
		first := s.Pick(ds, &k)
		ds[first].ActiveConns += 100 // load does not matter to sh
		if again := s.Pick(ds, &k); again != first {
			t.Fatalf("key %d: %d then %d", n, first, again)
		}
	}
}

func TestDH(t *testing.T) {
	// ip_vs_dh_reassign fills the 256 buckets round-robin, ignoring
	// weights: A B C A B C … 198.18.7.9 hashes to bucket 70: 70 mod 3 = 1,
	// B. dh has no fallback.
	ds := mkDests(5, 1, 1)
	s := NewDH(ds, 0)
	for i, got := range s.(*destHash).table {
		if want := int32(i % 3); got != want {
			t.Fatalf("bucket %d = %d, want %d", i, got, want)
		}
	}
	k := Key{Src: v4(198, 18, 0, 1), Dst: v4(198, 18, 7, 9)}
	if got := s.Pick(ds, &k); got != 1 {
		t.Errorf("Pick = %d, want 1", got)
	}
	ds[1].Flags |= FlagOverloaded
	if got := s.Pick(ds, &k); got != -1 {
		t.Errorf("hashed server overloaded: Pick = %d, want -1", got)
	}
}
