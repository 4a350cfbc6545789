package conntrack

import (
	"encoding/binary"
	"testing"
)

const sec = int64(1e9)

// v4Key builds a TCP key from client 198.18.x.y:port to 198.19.0.1:80.
func v4Key(client uint32, port uint16) Key {
	k := Key{CPort: port, VPort: 80, Proto: 6}
	k.Client[10], k.Client[11] = 0xff, 0xff
	binary.BigEndian.PutUint32(k.Client[12:], 0xc6120000|client&0xffff)
	k.Virtual[10], k.Virtual[11] = 0xff, 0xff
	copy(k.Virtual[12:], []byte{198, 19, 0, 1})
	return k
}

// keyAt returns the key of pool entry p.
func keyAt(tb *Table, p uint32) Key {
	var k Key
	tb.KeyOf(int32(p), &k)
	return k
}

// checkInvariants verifies the layout: every index slot names a used
// entry under that entry's tag, each used entry has exactly one slot, runs
// are in Robin Hood order, the free list and bitmap agree with the count,
// and every live entry is found by Lookup.
func checkInvariants(t *testing.T, tb *Table, now int64) {
	t.Helper()
	isUsed := func(p uint32) bool { return tb.used[p/64]&(1<<(p%64)) != 0 }
	seen := make(map[uint32]bool)
	for i, s := range tb.idx.slots {
		if s == 0 {
			continue
		}
		tag, p := uint32(s>>32), uint32(s)
		if p >= tb.high || !isUsed(p) || seen[p] {
			t.Fatalf("slot %d names entry %d (high %d, used %v, seen %v)", i, p, tb.high, isUsed(p), seen[p])
		}
		seen[p] = true
		if k := keyAt(tb, p); tagOf(tb.hash.sum(&k)) != tag {
			t.Fatalf("slot %d: tag %#x is not the tag of entry %d", i, tag, p)
		}
		if d := tb.idx.dist(tag, uint32(i)); d > 0 {
			prev := tb.idx.prev(uint32(i))
			ps := tb.idx.slots[prev]
			if ps == 0 || tb.idx.dist(uint32(ps>>32), prev)+1 < d {
				t.Fatalf("slot %d (dist %d) breaks Robin Hood order after slot %d", i, d, prev)
			}
		}
	}
	n := 0
	for p := uint32(0); p < uint32(len(tb.entries)); p++ {
		if !isUsed(p) {
			continue
		}
		n++
		if !seen[p] {
			t.Fatalf("used entry %d has no index slot", p)
		}
		if e := &tb.entries[p]; e.Expires > now {
			k := keyAt(tb, p)
			idx, ok := tb.Lookup(&k, now)
			if !ok || idx != int32(p) {
				t.Fatalf("live entry %d: Lookup = %d, %v", p, idx, ok)
			}
		}
	}
	if n != tb.Len() || len(seen) != n {
		t.Fatalf("Len() = %d, %d used entries, %d index slots", tb.Len(), n, len(seen))
	}
	free := 0
	for p := tb.free; p != noFree; p = tb.entries[p].Dest {
		if isUsed(p) || p >= tb.high {
			t.Fatalf("free list holds entry %d (used %v, high %d)", p, isUsed(p), tb.high)
		}
		if free++; free > len(tb.entries) {
			t.Fatal("free list loops")
		}
	}
	if free+n != int(tb.high) {
		t.Fatalf("%d free + %d used != high %d", free, n, tb.high)
	}
}

func TestNewSizing(t *testing.T) {
	// ceil(capacity*4/3) slots, at least 8, not a power of two: a full
	// index is at most 3/4 full.
	cases := []struct{ capacity, slots, cap int }{
		{-5, 8, 1}, {0, 8, 1}, {1, 8, 1}, {6, 8, 6}, {7, 10, 7},
		{1000, 1334, 1000}, {6000, 8000, 6000}, {6001, 8002, 6001},
		{1 << 20, 1398102, 1 << 20},
	}
	for _, c := range cases {
		tb := New(c.capacity, 1)
		if len(tb.idx.slots) != c.slots || tb.Cap() != c.cap || tb.Len() != 0 {
			t.Errorf("New(%d): slots %d cap %d len %d; want slots %d cap %d len 0",
				c.capacity, len(tb.idx.slots), tb.Cap(), tb.Len(), c.slots, c.cap)
		}
		if c.cap*loadDen > c.slots*loadNum {
			t.Errorf("New(%d): load %d/%d over 3/4", c.capacity, c.cap, c.slots)
		}
		tb.Close()
	}
	// Pool, index, bitmap; reply index and records.
	tb := New(1<<20, 1)
	if got, want := tb.Bytes(), (1<<20)*48+1398102*8+(1<<20)/8+1398102*8+(1<<20)*54; got != want {
		t.Errorf("Bytes() = %d, want %d", got, want)
	}
	tb.Close()
	tb = NewWithReplies(1<<20, 1<<18, 1)
	if got, want := tb.Bytes(), (1<<20)*48+1398102*8+(1<<20)/8+349526*8+(1<<18)*54; got != want {
		t.Errorf("NewWithReplies(1M, 256k).Bytes() = %d, want %d", got, want)
	}
	tb.Close()
	for _, c := range []struct{ capacity, replies, rslots, rcap int }{
		{1000, 0, 8, 0}, {1000, -1, 8, 0}, {1000, 6, 8, 6}, {1000, 7, 10, 7}, {100, 1000, 134, 100},
	} {
		tb := NewWithReplies(c.capacity, c.replies, 1)
		if len(tb.ridx.slots) != c.rslots || tb.ReplyCap() != c.rcap || tb.Cap() != c.capacity {
			t.Errorf("NewWithReplies(%d, %d): reply slots %d, reply cap %d, cap %d; want %d, %d, %d",
				c.capacity, c.replies, len(tb.ridx.slots), tb.ReplyCap(), tb.Cap(), c.rslots, c.rcap, c.capacity)
		}
	}
}

func TestInsertLookupDelete(t *testing.T) {
	tb := New(100, 42)
	now := 10 * sec
	k := v4Key(1, 1000)
	if _, ok := tb.Lookup(&k, now); ok {
		t.Fatal("Lookup found a key in an empty table")
	}
	idx, ok := tb.Insert(&k, now)
	if !ok {
		t.Fatal("Insert into an empty table failed")
	}
	e := tb.At(idx)
	if keyAt(tb, uint32(idx)) != k || e.Expires != now+2*sec || e.Dest != 0 || e.State != StateNone {
		t.Fatalf("new entry = %+v; want key set, Expires now+2s, rest zero", *e)
	}
	e.Dest, e.Service, e.State = 7, 3, StateSynRecv
	tb.Touch(idx, now, 60)
	if got := tb.At(idx).Expires; got != now+60*sec {
		t.Fatalf("Touch: Expires = %d, want %d", got, now+60*sec)
	}
	got, ok := tb.Lookup(&k, now+59*sec)
	if !ok || got != idx || tb.At(got).Dest != 7 {
		t.Fatalf("Lookup = %d, %v; want %d with Dest 7", got, ok, idx)
	}
	other := v4Key(1, 1001)
	if _, ok := tb.Lookup(&other, now); ok {
		t.Fatal("Lookup found a key never inserted")
	}
	if dup, ok := tb.Insert(&k, now); ok || dup != idx || tb.Stats().Exists != 1 {
		t.Fatalf("Insert of a live key = %d, %v, Exists %d; want %d, false, 1", dup, ok, tb.Stats().Exists, idx)
	}
	tb.Delete(idx)
	if _, ok := tb.Lookup(&k, now); ok || tb.Len() != 0 {
		t.Fatalf("after Delete: found %v, Len %d", ok, tb.Len())
	}
	tb.Delete(idx)
	tb.Delete(-1)
	tb.Delete(1 << 30)
	if s := tb.Stats(); s.Inserts != 1 || s.Deletes != 1 {
		t.Fatalf("stats = %+v; want 1 insert, 1 delete", s)
	}
}

func TestExpiredIsAbsentButReported(t *testing.T) {
	tb := New(100, 7)
	now := 100 * sec
	k := v4Key(2, 2000)
	idx, _ := tb.Insert(&k, now)
	tb.At(idx).Dest = 11
	tb.Touch(idx, now, 5)
	later := now + 5*sec
	if _, ok := tb.Lookup(&k, later); ok {
		t.Fatal("Lookup returned an entry at its deadline")
	}
	// The same key again: a second entry, the expired one untouched.
	idx2, ok := tb.Insert(&k, later)
	if !ok {
		t.Fatal("Insert after expiry failed")
	}
	tb.At(idx2).Dest = 12
	tb.Touch(idx2, later, 60)
	if tb.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (expired + live)", tb.Len())
	}
	if got, ok := tb.Lookup(&k, later); !ok || tb.At(got).Dest != 12 {
		t.Fatalf("Lookup found %v Dest %d; want the live entry (Dest 12)", ok, tb.At(got).Dest)
	}
	out := make([]Record, 8)
	n := tb.ExpireInto(later, tb.Cap(), out)
	if n != 1 || out[0].Entry.Dest != 11 || out[0].Key != k {
		t.Fatalf("ExpireInto = %d entries, first %+v; want the expired Dest 11", n, out[0])
	}
	if got, ok := tb.Lookup(&k, later); !ok || tb.At(got).Dest != 12 || tb.Len() != 1 {
		t.Fatal("ExpireInto disturbed the live entry")
	}
	checkInvariants(t, tb, later)
}

func TestFullTable(t *testing.T) {
	tb := New(50, 3)
	now := sec
	for i := 0; i < tb.Cap(); i++ {
		k := v4Key(uint32(i), 5000)
		idx, ok := tb.Insert(&k, now)
		if !ok {
			t.Fatalf("Insert %d of %d failed", i, tb.Cap())
		}
		tb.Touch(idx, now, uint32(10+i%2*100)) // half expire at 11 s, half at 101 s
	}
	k := v4Key(9999, 1)
	if _, ok := tb.Insert(&k, now); ok {
		t.Fatal("Insert into a full table succeeded")
	}
	if s := tb.Stats(); s.Full != 1 || tb.Len() != tb.Cap() {
		t.Fatalf("Full = %d, Len = %d; want 1, %d", s.Full, tb.Len(), tb.Cap())
	}
	// Expired but unreclaimed entries still count: Insert keeps refusing.
	now = 20 * sec
	if _, ok := tb.Insert(&k, now); ok {
		t.Fatal("Insert reused an unreclaimed expired entry")
	}
	var old Record
	idx, reclaimed, ok := tb.InsertReclaim(&k, now, &old)
	if !ok || !reclaimed || old.Entry.Expires > now || old.Key == (Key{}) {
		t.Fatalf("InsertReclaim = %d, %v, %v, old %+v; want an expired entry reclaimed", idx, reclaimed, ok, old)
	}
	if _, ok := tb.Lookup(&old.Key, 0); ok {
		t.Fatal("the reclaimed entry is still in the table")
	}
	if tb.Len() != tb.Cap() || tb.Stats().Reclaimed != 1 {
		t.Fatalf("Len %d Reclaimed %d; want %d, 1", tb.Len(), tb.Stats().Reclaimed, tb.Cap())
	}
	checkInvariants(t, tb, now)
	out := make([]Record, tb.Cap())
	n := tb.ExpireInto(now, tb.Cap(), out)
	if n != tb.Cap()/2-1 { // half expired, one of them already reclaimed
		t.Fatalf("ExpireInto reclaimed %d of %d, want %d", n, tb.Cap(), tb.Cap()/2-1)
	}
	if _, ok := tb.Insert(&k, now); ok {
		t.Fatal("Insert of the live key succeeded")
	}
	k2 := v4Key(9999, 2)
	if _, ok := tb.Insert(&k2, now); !ok {
		t.Fatal("Insert failed after expiry freed room")
	}
	checkInvariants(t, tb, now)
}

func TestInsertReclaimNotFull(t *testing.T) {
	tb := New(50, 3)
	k := v4Key(1, 1)
	idx, _ := tb.Insert(&k, 0)
	tb.Touch(idx, 0, 1)
	var old Record
	k2 := v4Key(2, 2)
	if _, reclaimed, ok := tb.InsertReclaim(&k2, 10*sec, &old); !ok || reclaimed {
		t.Fatalf("InsertReclaim on a non-full table: reclaimed %v ok %v; want false, true", reclaimed, ok)
	}
	if tb.Len() != 2 {
		t.Fatalf("Len = %d, want 2", tb.Len())
	}
}

func TestExpireBudget(t *testing.T) {
	tb := New(1000, 9)
	for i := 0; i < 1000; i++ {
		k := v4Key(uint32(i), 6000)
		idx, _ := tb.Insert(&k, 0)
		tb.Touch(idx, 0, 1)
	}
	now := 2 * sec
	out := make([]Record, 4096)
	const budget = 100
	total, calls := 0, 0
	for tb.Len() > 0 {
		n := tb.ExpireInto(now, budget, out)
		if n > budget {
			t.Fatalf("ExpireInto returned %d entries with budget %d", n, budget)
		}
		total += n
		calls++
		if calls > 100 {
			t.Fatalf("expiry not finished after %d calls (%d left)", calls, tb.Len())
		}
	}
	if total != 1000 || tb.Stats().Expired != 1000 {
		t.Fatalf("expired %d (stats %d), want 1000", total, tb.Stats().Expired)
	}
	// Entries never move: one sweep of the 1000 used entries reclaims
	// them all, budget entries per call.
	if calls != 1000/budget {
		t.Fatalf("took %d calls, want %d", calls, 1000/budget)
	}
	// The out slice bounds the work too.
	for i := 0; i < 10; i++ {
		k := v4Key(uint32(i), 7000)
		tb.Insert(&k, now)
	}
	if n := tb.ExpireInto(now+10*sec, tb.Cap(), out[:3]); n != 3 || tb.Len() != 7 {
		t.Fatalf("ExpireInto with out of 3 = %d, Len %d; want 3, 7", n, tb.Len())
	}
}

func TestRangeAndPage(t *testing.T) {
	tb := New(300, 5)
	want := map[Key]bool{}
	for i := 0; i < 200; i++ {
		k := v4Key(uint32(i), 8000)
		idx, _ := tb.Insert(&k, 0)
		timeout := uint32(100)
		if i%4 == 0 {
			timeout = 1
		} else {
			want[k] = true
		}
		tb.Touch(idx, 0, timeout)
	}
	n := 0
	tb.Range(func(int32, *Entry) bool { n++; return true })
	if n != 200 {
		t.Fatalf("Range visited %d entries, want 200", n)
	}
	n = 0
	tb.Range(func(int32, *Entry) bool { n++; return n < 5 })
	if n != 5 {
		t.Fatalf("Range did not stop: %d calls", n)
	}
	got := map[Key]bool{}
	page := make([]Record, 7)
	for from, calls := 0, 0; from >= 0; calls++ {
		var c int
		c, from = tb.Page(from, 10*sec, page)
		for _, e := range page[:c] {
			if got[e.Key] {
				t.Fatalf("Page listed %v twice", e.Key)
			}
			got[e.Key] = true
		}
		if calls > tb.Cap() {
			t.Fatal("Page does not terminate")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("Page listed %d live entries, want %d", len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("Page missed %v", k)
		}
	}
}

func TestSeedChangesPlacement(t *testing.T) {
	a, b := New(1000, 1), New(1000, 2)
	same := 0
	for i := 0; i < 200; i++ {
		k := v4Key(uint32(i), 443)
		if a.hash.sum(&k) == b.hash.sum(&k) {
			same++
		}
	}
	if same > 0 {
		t.Fatalf("%d of 200 keys hash the same under two seeds", same)
	}
}

// TestProbeLengths fills a table to Cap with sequential clients and ports
// (the easy pattern to get wrong) and checks the Robin Hood runs stay
// short, as they do under a well-mixed hash.
func TestProbeLengths(t *testing.T) {
	tb := New(49152, 0xfeed) // 65536 slots, load 3/4 when full
	for i := 0; tb.Len() < tb.Cap(); i++ {
		k := v4Key(uint32(i/64), uint16(1024+i%64))
		if _, ok := tb.Insert(&k, 0); !ok {
			t.Fatalf("Insert %d failed", i)
		}
	}
	var sum, maxd uint32
	for i, s := range tb.idx.slots {
		if s != 0 {
			d := tb.idx.dist(uint32(s>>32), uint32(i))
			sum += d
			maxd = max(maxd, d)
		}
	}
	mean := float64(sum) / float64(tb.Len())
	// Linear probing at load 3/4 averages (1/(1-a)-1)/2 = 1.5 slots
	// from home for a random hash; Robin Hood keeps the maximum low.
	if mean > 2.5 || maxd > 40 {
		t.Fatalf("mean probe distance %.2f, max %d: hash clusters", mean, maxd)
	}
	t.Logf("load %d/%d: mean distance %.2f, max %d", tb.Len(), len(tb.idx.slots), mean, maxd)
}
