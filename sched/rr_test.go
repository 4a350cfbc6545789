package sched

import "testing"

func TestRRSkipsQuiescedAndOverloaded(t *testing.T) {
	// A(1) B(0) C(1, overloaded) D(1): rr visits last+1 … n-1, 0 … last and
	// takes the first with weight > 0 that is not overloaded, so B and C are
	// passed over: A, D, A, D. Once C recovers, from D the walk wraps to A,
	// then C, then D.
	ds := mkDests(1, 0, 1, 1)
	ds[2].Flags |= FlagOverloaded
	s := build(t, "rr", ds, 0)
	if got, want := picks(s, ds, 4), []int{0, 3, 0, 3}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	ds[2].Flags &^= FlagOverloaded
	if got, want := picks(s, ds, 4), []int{0, 2, 3, 0}; !equalInts(got, want) {
		t.Fatalf("after recovery picks = %v, want %v", got, want)
	}
}

func TestRRIgnoresWeightsAndKeepsPositionOnFailure(t *testing.T) {
	ds := mkDests(5, 1, 3)
	s := build(t, "rr", ds, 0)
	if got, want := picks(s, ds, 4), []int{0, 1, 2, 0}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	for i := range ds {
		ds[i].Flags |= FlagOverloaded
	}
	if got := s.Pick(ds, nil); got != -1 {
		t.Fatalf("all overloaded: Pick = %d, want -1", got)
	}
	for i := range ds {
		ds[i].Flags &^= FlagOverloaded
	}
	// The failed pick did not move the position: the next after 0 is 1.
	if got := s.Pick(ds, nil); got != 1 {
		t.Fatalf("after failure Pick = %d, want 1", got)
	}
}

func TestRRSkipsDestsNotInService(t *testing.T) {
	ds := mkDests(1, 1, 1)
	ds[1].Flags = 0
	s := build(t, "rr", ds, 0)
	if got, want := picks(s, ds, 4), []int{0, 2, 0, 2}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
}

func TestWRRKernelSequence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int32
		over    int // index of an overloaded destination, or -1
		want    []int
	}{
		{
			// Weights 4,3,2: gcd di = 1, mw = 4 - (1-1) = 4, cw starts at 4.
			// cw=4: A.  cw=3: A B.  cw=2: A B C.  cw=1: A B C.  Then cw
			// drops to 0, is reset to mw = 4 and the cycle repeats: 9
			// picks per cycle, 4 A, 3 B, 2 C.
			name: "4,3,2", weights: []int32{4, 3, 2}, over: -1,
			want: []int{0, 0, 1, 0, 1, 2, 0, 1, 2, 0, 0, 1, 0, 1, 2, 0, 1, 2},
		},
		{
			// Weights 4,2,6: di = gcd = 2, mw = 6 - (2-1) = 5.
			// cw=5: C.  cw=3: A C.  cw=1: A B C.  cw=-1 → 5: repeat.
			name: "gcd 2", weights: []int32{4, 2, 6}, over: -1,
			want: []int{2, 0, 2, 0, 1, 2, 2, 0, 2, 0, 1, 2},
		},
		{
			// Weights 4,3,2 with B overloaded: B is skipped at every cw,
			// mw stays 4. cw=4: A.  cw=3: A.  cw=2: A C.  cw=1: A C.
			name: "overloaded", weights: []int32{4, 3, 2}, over: 1,
			want: []int{0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 0, 2},
		},
		{
			// Weight 0 is never >= cw (cw >= 1): 3,0,1: mw 3.
			// cw=3: A.  cw=2: A.  cw=1: A C.
			name: "quiesced", weights: []int32{3, 0, 1}, over: -1,
			want: []int{0, 0, 0, 2, 0, 0, 0, 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := mkDests(tc.weights...)
			if tc.over >= 0 {
				ds[tc.over].Flags |= FlagOverloaded
			}
			s := build(t, "wrr", ds, 0)
			if got := picks(s, ds, len(tc.want)); !equalInts(got, tc.want) {
				t.Fatalf("picks = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWRRExactOverCycle(t *testing.T) {
	// Over any whole number of cycles (sum of weights / gcd picks), each
	// destination is picked exactly weight/gcd times per cycle.
	weights := []int32{7, 1, 12, 5, 0, 3, 9, 6}
	ds := mkDests(weights...)
	s := build(t, "wrr", ds, 0)
	var sum int
	for _, w := range weights {
		sum += int(w)
	}
	counts := make([]int, len(ds))
	const cycles = 25
	for range cycles * sum {
		p := s.Pick(ds, nil)
		if p < 0 {
			t.Fatal("no destination picked")
		}
		counts[p]++
	}
	for i, w := range weights {
		if counts[i] != cycles*int(w) {
			t.Errorf("dest %d (weight %d): %d picks, want %d", i, w, counts[i], cycles*int(w))
		}
	}
}

func TestWRRNoneAvailable(t *testing.T) {
	ds := mkDests(0, 0)
	if got := build(t, "wrr", ds, 0).Pick(ds, nil); got != -1 {
		t.Errorf("all weights 0: Pick = %d, want -1", got)
	}
	// All overloaded after the position moved: the kernel's stop rule ends
	// the search after a last pass with cw = 1 over every destination.
	ds = mkDests(1, 2)
	s := build(t, "wrr", ds, 0)
	if got, want := picks(s, ds, 3), []int{1, 0, 1}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	ds[0].Flags |= FlagOverloaded
	ds[1].Flags |= FlagOverloaded
	if got := s.Pick(ds, nil); got != -1 {
		t.Fatalf("all overloaded: Pick = %d, want -1", got)
	}
	// B (weight 2) back: the next pick finds it.
	ds[1].Flags &^= FlagOverloaded
	if got := s.Pick(ds, nil); got != 1 {
		t.Fatalf("after recovery Pick = %d, want 1", got)
	}
}

func TestWRRStopRuleFindsLowWeightBeforePosition(t *testing.T) {
	// A(1) B(2): mw=2. Picks: cw=2: B; cw=1: A B. Position is now B with
	// cw=1. B overloads: the walk from B reaches the head, cw drops to 0
	// and is reset to 2 (restarted); A(1) < 2; at cw=1 (last pass) the
	// kernel sets stop = B and rescans from the head: A(1) >= 1 is found.
	ds := mkDests(1, 2)
	s := build(t, "wrr", ds, 0)
	picks(s, ds, 3)
	ds[1].Flags |= FlagOverloaded
	if got, want := picks(s, ds, 3), []int{0, 0, 0}; !equalInts(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
}

func TestWRRRebuildsWhenDestsChangeUnannounced(t *testing.T) {
	ds := mkDests(1, 1)
	s := build(t, "wrr", ds, 0)
	picks(s, ds, 1)
	ds = append(ds, mkDests(0, 0, 5)[2])
	// Called with a longer slice without a new Factory call, wrr starts
	// over from the new set: weights 1,1,5, mw 5: the first picks are C.
	if got := s.Pick(ds, nil); got != 2 {
		t.Errorf("Pick = %d, want 2", got)
	}
}
