package conntrack

import "testing"

// TestHotPathAllocs guards the per-packet calls: none may allocate.
func TestHotPathAllocs(t *testing.T) {
	tb := New(4096, 99)
	keys := keyPool(newRand(1), 8192)
	for i := 0; i < 3000; i++ {
		idx, _ := tb.Insert(&keys[i], 0)
		tb.Touch(idx, 0, uint32(i%10))
	}
	out := make([]Record, 256)
	now := int64(0)
	i := 0
	cases := []struct {
		name string
		fn   func()
	}{
		{"Lookup", func() { tb.Lookup(&keys[i%len(keys)], now) }},
		{"Hash+Prefetch+LookupHash", func() {
			k := &keys[i%len(keys)]
			h := tb.Hash(k)
			tb.PrefetchSlot(h)
			tb.PrefetchEntry(h)
			tb.LookupHash(k, h, now)
		}},
		{"Insert+Delete", func() {
			if idx, ok := tb.Insert(&keys[3000+i%4000], now); ok {
				tb.Delete(idx)
			}
		}},
		{"Touch", func() {
			if idx, ok := tb.Lookup(&keys[i%3000], now); ok {
				tb.Touch(idx, now, 60)
			}
		}},
		{"InsertReclaim", func() {
			var old Record
			if idx, _, ok := tb.InsertReclaim(&keys[3000+i%4000], now, &old); ok {
				tb.Delete(idx)
			}
		}},
		{"ExpireInto", func() { now += 1e8; tb.ExpireInto(now, 256, out) }},
		{"Page", func() { tb.Page(i%tb.Cap(), now, out[:16]) }},
		{"SCTPNext", func() {
			_ = SCTPNext(State(i%int(NumStates)), Dir(i%3), SCTPEventOf(uint8(i), i%2 == 0))
		}},
	}
	for _, c := range cases {
		if a := testing.AllocsPerRun(1000, func() { c.fn(); i++ }); a != 0 {
			t.Errorf("%s allocates %.1f times per call", c.name, a)
		}
	}
}
