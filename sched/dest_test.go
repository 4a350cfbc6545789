package sched

import "testing"

func TestUpdateOverloadHysteresis(t *testing.T) {
	// Each step sets the total connection count and expects the flag.
	type step struct {
		total uint32
		want  bool
	}
	for _, tc := range []struct {
		name  string
		u, l  uint32
		steps []step
	}{
		{"no thresholds", 0, 0, []step{{0, false}, {1000, false}}},
		// u=10, l=0: set at >= 10, cleared below 3/4*10 (total*4 < 30, i.e. total <= 7).
		{"upper only", 10, 0, []step{
			{9, false}, {10, true}, {11, true}, {9, true}, {8, true}, {7, false}, {9, false}, {10, true},
		}},
		// u=5, l=0: total*4 < 15 clears at total <= 3 (not 3 = 5*3/4 rounded down).
		{"upper only, rounding", 5, 0, []step{{5, true}, {4, true}, {3, false}}},
		// u=10, l=4: cleared only below 4.
		{"both", 10, 4, []step{{10, true}, {5, true}, {4, true}, {3, false}, {9, false}, {12, true}}},
		// l == u: cleared as soon as below u.
		{"equal", 6, 6, []step{{6, true}, {5, false}, {6, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Dest{Flags: FlagAvailable, UThreshold: tc.u, LThreshold: tc.l}
			for i, s := range tc.steps {
				// Split the total between active and inactive: only the sum counts.
				d.ActiveConns, d.InactConns = s.total/2, s.total-s.total/2
				UpdateOverload(&d)
				if got := d.Flags&FlagOverloaded != 0; got != s.want {
					t.Fatalf("step %d (total %d): overloaded = %v, want %v", i, s.total, got, s.want)
				}
				if d.Flags&FlagAvailable == 0 {
					t.Fatalf("step %d: FlagAvailable lost", i)
				}
			}
		})
	}
}

func TestUpdateOverloadClearsWhenThresholdsRemoved(t *testing.T) {
	d := Dest{Flags: FlagAvailable | FlagOverloaded, ActiveConns: 100}
	UpdateOverload(&d)
	if d.Flags&FlagOverloaded != 0 {
		t.Error("overload kept with both thresholds 0")
	}
}

func TestUpdateOverloadPersistConnsDoNotCount(t *testing.T) {
	d := Dest{Flags: FlagAvailable, UThreshold: 2, PersistConns: 10, ActiveConns: 1}
	UpdateOverload(&d)
	if d.Flags&FlagOverloaded != 0 {
		t.Error("persistent templates counted towards the threshold")
	}
}

func TestSetThresholds(t *testing.T) {
	over := Dest{Flags: FlagAvailable | FlagOverloaded, UThreshold: 10, ActiveConns: 10}
	for _, tc := range []struct {
		name     string
		u, l     uint32
		wantOver bool
	}{
		{"raised", 20, 0, false},
		{"removed", 0, 0, false},
		{"same", 10, 5, true},
		{"lowered", 5, 0, true},
	} {
		d := over
		SetThresholds(&d, tc.u, tc.l)
		if got := d.Flags&FlagOverloaded != 0; got != tc.wantOver {
			t.Errorf("%s: overloaded = %v, want %v", tc.name, got, tc.wantOver)
		}
		if d.UThreshold != tc.u || d.LThreshold != tc.l {
			t.Errorf("%s: thresholds %d/%d, want %d/%d", tc.name, d.UThreshold, d.LThreshold, tc.u, tc.l)
		}
	}
}

func TestHeavierMatchesExactArithmetic(t *testing.T) {
	for _, tc := range []struct {
		a    uint64
		aw   int32
		b    uint64
		bw   int32
		want bool
	}{
		{256, 1, 266, 2, true},  // 256*2 > 266*1
		{266, 2, 512, 3, false}, // 266*3 = 798 < 1024
		{512, 2, 256, 1, false}, // equal loads are not heavier
		// Products beyond 64 bits: 2^40 * 2^31 vs (2^40 - 1) * 2^31.
		{1 << 40, 1<<31 - 1, 1<<40 - 1, 1<<31 - 1, true},
		{1<<40 - 1, 1<<31 - 1, 1 << 40, 1<<31 - 1, false},
	} {
		if got := heavier(tc.a, tc.aw, tc.b, tc.bw); got != tc.want {
			t.Errorf("heavier(%d/%d, %d/%d) = %v, want %v", tc.a, tc.aw, tc.b, tc.bw, got, tc.want)
		}
	}
}
