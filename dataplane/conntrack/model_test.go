package conntrack

import (
	"math/rand/v2"
	"testing"
)

// model is the slow reference: every record the table should hold, by an
// id the test stores in Entry.Dest.
type model struct {
	recs          map[uint32]Record
	idx           map[uint32]int32 // where each record was inserted: entries never move
	full, exists  uint64
	nextID        uint32
	expiredTotal  uint64
	reclaimTotal  uint64
	insertedTotal uint64
}

// live returns the id of the live record with key k.
func (m *model) live(k *Key, now int64) (uint32, bool) {
	for id, r := range m.recs {
		if r.Key == *k && r.Entry.Expires > now {
			return id, true
		}
	}
	return 0, false
}

// keyPool returns n random keys, IPv4-mapped and IPv6, TCP and UDP.
func keyPool(r *rand.Rand, n int) []Key {
	keys := make([]Key, n)
	for i := range keys {
		k := &keys[i]
		if r.IntN(2) == 0 {
			*k = v4Key(r.Uint32(), uint16(r.Uint32()))
		} else {
			k.Client = [16]byte{0x20, 0x01, 0x0d, 0xb8}
			k.Virtual = [16]byte{0xfd, 0, 15: 1}
			for j := 8; j < 16; j++ {
				k.Client[j] = byte(r.Uint32())
			}
			k.CPort, k.VPort = uint16(r.Uint32()), 443
		}
		k.Proto = []uint8{6, 17}[r.IntN(2)]
	}
	return keys
}

func TestAgainstModel(t *testing.T) {
	seeds, steps := 60, 20000
	if testing.Short() {
		seeds, steps = 10, 5000
	}
	var sum Stats
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		s := runModel(t, seed, steps)
		sum.Inserts += s.Inserts
		sum.Full += s.Full
		sum.Exists += s.Exists
		sum.Expired += s.Expired
		sum.Reclaimed += s.Reclaimed
		sum.Deletes += s.Deletes
	}
	// The run must have exercised every path it checks.
	if sum.Inserts == 0 || sum.Full == 0 || sum.Exists == 0 || sum.Expired == 0 ||
		sum.Reclaimed == 0 || sum.Deletes == 0 {
		t.Fatalf("model run missed a path: %+v", sum)
	}
	t.Logf("totals: %+v", sum)
}

func runModel(t *testing.T, seed uint64, steps int) Stats {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	// Sizes that fill their index to 3/4 (6 of 8 slots, 48 of 64, 384 of
	// 512), just past them, and in between; the small ones wrap their
	// runs from the last slot to the first all the time.
	capacity := []int{1, 6, 7, 24, 48, 49, 100, 384, 500}[r.IntN(9)]
	tb := New(capacity, r.Uint64())
	keys := keyPool(r, tb.Cap()*2+3)
	m := &model{recs: map[uint32]Record{}, idx: map[uint32]int32{}}
	now := int64(r.IntN(1000)) * sec
	out := make([]Record, 64)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d cap %d: "+format, append([]any{seed, tb.Cap()}, args...)...)
	}
	randKey := func() *Key { return &keys[r.IntN(len(keys))] }
	for step := 0; step < steps; step++ {
		switch op := r.IntN(100); {
		case op < 10: // the clock moves, sometimes by nothing
			now += int64(r.IntN(3000)) * 1e6
		case op < 35:
			k := randKey()
			idx, ok := tb.Lookup(k, now)
			id, want := m.live(k, now)
			if ok != want || ok && (tb.At(idx).Dest != id || idx != m.idx[id]) {
				fail("step %d: Lookup = %d, %v (Dest %d), model %v (id %d at %d)",
					step, idx, ok, tb.At(idx).Dest, want, id, m.idx[id])
			}
		case op < 60:
			k := randKey()
			if r.IntN(3) == 0 {
				modelInsertReclaim(tb, m, k, now, r, fail)
			} else {
				modelInsert(tb, m, k, now, r, fail)
			}
		case op < 70: // delete a live connection
			k := randKey()
			if idx, ok := tb.Lookup(k, now); ok {
				id := tb.At(idx).Dest
				tb.Delete(idx)
				delete(m.recs, id)
			}
		case op < 80: // a packet re-arms a live connection
			k := randKey()
			if idx, ok := tb.Lookup(k, now); ok {
				to := uint32(r.IntN(8))
				tb.Touch(idx, now, to)
				rec := m.recs[tb.At(idx).Dest]
				rec.Entry.Expires = now + int64(to)*sec
				m.recs[tb.At(idx).Dest] = rec
			}
		case op < 98:
			budget := 1 + r.IntN(tb.Cap()/2+1)
			modelExpire(tb, m, now, budget, out[:1+r.IntN(len(out))], fail)
		default: // a full sweep leaves nothing expired behind
			big := make([]Record, tb.Cap())
			modelExpire(tb, m, now, tb.Cap(), big, fail) // exactly one sweep
			for id, rec := range m.recs {
				if rec.Entry.Expires <= now {
					fail("step %d: record %d expired at %d survived a full sweep at %d", step, id, rec.Entry.Expires, now)
				}
			}
		}
		if tb.Len() != len(m.recs) {
			fail("step %d: Len %d, model %d", step, tb.Len(), len(m.recs))
		}
		if step%97 == 0 {
			checkInvariants(t, tb, now)
			compareContents(tb, m, fail)
		}
	}
	s := tb.Stats()
	if s.Full != m.full || s.Exists != m.exists || s.Expired != m.expiredTotal ||
		s.Reclaimed != m.reclaimTotal || s.Inserts != m.insertedTotal {
		fail("stats %+v; model full %d exists %d expired %d reclaimed %d inserts %d",
			s, m.full, m.exists, m.expiredTotal, m.reclaimTotal, m.insertedTotal)
	}
	return s
}

type failFunc func(format string, args ...any)

// admit checks an insert result against the model and records the new
// connection.
func admit(tb *Table, m *model, k *Key, now int64, r *rand.Rand, idx int32, ok bool, fail failFunc) {
	id, live := m.live(k, now)
	switch {
	case len(m.recs) >= tb.Cap(): // checked first, as the table does
		m.full++
		if ok {
			fail("insert into a full table succeeded")
		}
	case live:
		m.exists++
		if ok || tb.At(idx).Dest != id {
			fail("insert of live key: ok %v idx Dest %d, want false and %d", ok, tb.At(idx).Dest, id)
		}
	default:
		if !ok {
			fail("insert refused with %d of %d", len(m.recs), tb.Cap())
		}
		e := tb.At(idx)
		var got Key
		tb.KeyOf(idx, &got)
		if got != *k || e.Expires != now+2*sec || e.Dest != 0 || e.Sync != 0 {
			fail("new entry %+v, key %v", *e, got)
		}
		m.nextID++
		m.insertedTotal++
		e.Dest = m.nextID
		to := uint32(r.IntN(8))
		tb.Touch(idx, now, to)
		m.recs[m.nextID] = Record{Key: *k, Entry: *e}
		m.idx[m.nextID] = idx
	}
}

func modelInsert(tb *Table, m *model, k *Key, now int64, r *rand.Rand, fail failFunc) {
	idx, ok := tb.Insert(k, now)
	admit(tb, m, k, now, r, idx, ok, fail)
}

func modelInsertReclaim(tb *Table, m *model, k *Key, now int64, r *rand.Rand, fail failFunc) {
	full := len(m.recs) >= tb.Cap()
	var old Record
	idx, reclaimed, ok := tb.InsertReclaim(k, now, &old)
	if reclaimed {
		if !full {
			fail("InsertReclaim reclaimed from a table that was not full")
		}
		want, known := m.recs[old.Entry.Dest]
		if !known || want != old || old.Entry.Expires > now {
			fail("reclaimed %+v; model has %+v (known %v)", old, want, known)
		}
		delete(m.recs, old.Entry.Dest)
		m.reclaimTotal++
	} else if full && ok {
		fail("InsertReclaim succeeded in a full table without reclaiming")
	}
	admit(tb, m, k, now, r, idx, ok, fail)
}

func modelExpire(tb *Table, m *model, now int64, budget int, out []Record, fail failFunc) {
	n := tb.ExpireInto(now, budget, out)
	if n > len(out) || n > budget {
		fail("ExpireInto returned %d (out %d, budget %d)", n, len(out), budget)
	}
	for _, rec := range out[:n] {
		want, ok := m.recs[rec.Entry.Dest]
		if !ok || want != rec || rec.Entry.Expires > now {
			fail("ExpireInto returned %+v; model has %+v (known %v)", rec, want, ok)
		}
		delete(m.recs, rec.Entry.Dest)
		m.expiredTotal++
	}
}

func compareContents(tb *Table, m *model, fail failFunc) {
	seen := 0
	tb.Range(func(idx int32, e *Entry) bool {
		seen++
		got := Record{Entry: *e}
		tb.KeyOf(idx, &got.Key)
		if want, ok := m.recs[e.Dest]; !ok || want != got {
			fail("table holds %+v; model has %+v (known %v)", got, want, ok)
		}
		return true
	})
	if seen != len(m.recs) {
		fail("table holds %d entries, model %d", seen, len(m.recs))
	}
}
