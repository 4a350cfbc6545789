package conntrack

import "testing"

// TestExpireSweepRandom checks the expiry sweep on tables with holes of
// every size (deleted entries, so bitmap words are full, sparse or
// empty) and random budgets: every entry it returns had expired, a call
// moves the cursor at least its budget and at most one bitmap word
// further, and one sweep's worth of budget reclaims every expired entry.
// The last tables are large enough for the sweep to prefetch ahead.
func TestExpireSweepRandom(t *testing.T) {
	for seed := uint64(1); seed <= 22; seed++ {
		r := newRand(seed)
		capacity := 3000
		if seed > 20 { // large enough for the sweep's prefetches
			capacity = 2 * sweepPrefetchMin
		}
		tb := New(capacity, seed)
		keys := keyPool(r, capacity)
		for i := range keys {
			keys[i].CPort = uint16(i) // no duplicates
		}
		expired := 0
		density := r.IntN(100) // % of entries kept
		if capacity > 3000 {
			density = 60 + r.IntN(40)
		}
		for i := range keys {
			idx, _ := tb.Insert(&keys[i], 0)
			if r.IntN(100) >= density {
				tb.Delete(idx)
				continue
			}
			timeout := uint32(100)
			if r.IntN(3) == 0 {
				timeout = 1
				expired++
			}
			tb.Touch(idx, 0, timeout)
		}
		now := int64(10e9)
		high := int(tb.high)
		if capacity > 3000 && high < sweepPrefetchMin {
			t.Fatalf("seed %d: %d pool entries used, too few to prefetch", seed, high)
		}
		out := make([]Record, 512)
		got, swept := 0, 0
		for swept < high {
			budget := 1 + r.IntN(300)
			before := int(tb.cursor)
			n := tb.ExpireInto(now, budget, out)
			for _, rec := range out[:n] {
				if rec.Entry.Expires > now {
					t.Fatalf("seed %d: returned an entry live until %d at %d", seed, rec.Entry.Expires, now)
				}
			}
			got += n
			moved := int(tb.cursor) - before
			if moved < 0 {
				moved += high
			}
			if tb.Len() > 0 && budget < high && (moved < budget || moved > budget+63) {
				t.Fatalf("seed %d: budget %d moved the cursor %d entries (from %d of %d)", seed, budget, moved, before, high)
			}
			swept += budget
		}
		if got != expired {
			t.Fatalf("seed %d: one sweep reclaimed %d of %d expired entries", seed, got, expired)
		}
		tb.Range(func(_ int32, e *Entry) bool {
			if e.Expires <= now {
				t.Fatalf("seed %d: an expired entry survived a whole sweep", seed)
			}
			return true
		})
	}
}

// TestExpireBudgetBeyondPool checks that a budget larger than the used
// pool reclaims every expired entry in one call and walks the pool once,
// not budget/pool times.
func TestExpireBudgetBeyondPool(t *testing.T) {
	tb := New(100, 1)
	for i := range 10 {
		k := v4Key(uint32(i), 1)
		idx, _ := tb.Insert(&k, 0)
		tb.Touch(idx, 0, uint32(1+i%2*100)) // even: 1 s, odd: 101 s
	}
	out := make([]Record, 16)
	if n := tb.ExpireInto(10e9, 256, out); n != 5 || tb.Len() != 5 {
		t.Fatalf("expired %d, %d left; want 5, 5", n, tb.Len())
	}
	if s := tb.Stats().Sweeps; s > 1 {
		t.Errorf("a budget of 256 over 10 entries made %d sweeps, want 1 at most", s)
	}
}
