package conntrack

import (
	"math/rand/v2"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5eed)) }

// benchCase is a table filled with n entries, built once per case.
type benchCase struct {
	name     string
	capacity int
	fill     int
}

var benchCases = []benchCase{
	{"n=1k", 1000, 1000},              // 2048 slots: index load 0.49
	{"n=1536/full", 1536, 1536},       // 2048 slots: index load 3/4
	{"n=1M", 1 << 20, 1 << 20},        // 2^21 slots: index load 1/2
	{"n=1.5M/full", 3 << 19, 3 << 19}, // 2^21 slots: index load 3/4
}

type benchTable struct {
	tb   *Table
	hit  []Key // keys in the table, in random order
	miss []Key // keys not in the table
}

var benchTables = map[string]*benchTable{}

func getBenchTable(b *testing.B, c benchCase) *benchTable {
	if bt := benchTables[c.name]; bt != nil {
		return bt
	}
	r := newRand(uint64(c.fill))
	bt := &benchTable{tb: New(c.capacity, r.Uint64())}
	keys := keyPool(r, c.fill*2)
	for i := range keys {
		keys[i].CPort = uint16(i) // keep the pool free of duplicates
		keys[i].VPort = uint16(i >> 16)
	}
	for i := 0; i < c.fill; i++ {
		idx, ok := bt.tb.Insert(&keys[i], 0)
		if !ok {
			b.Fatalf("fill %s: insert %d failed", c.name, i)
		}
		bt.tb.Touch(idx, 0, 900)
	}
	bt.hit, bt.miss = keys[:c.fill], keys[c.fill:]
	r.Shuffle(len(bt.hit), func(i, j int) { bt.hit[i], bt.hit[j] = bt.hit[j], bt.hit[i] })
	benchTables[c.name] = bt
	return bt
}

func forEachCase(b *testing.B, fn func(b *testing.B, bt *benchTable)) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			bt := getBenchTable(b, c)
			b.ReportAllocs()
			b.ResetTimer()
			fn(b, bt)
			b.StopTimer()
			b.ReportMetric(float64(bt.tb.Bytes())/float64(bt.tb.Len()), "B/conn")
		})
	}
}

func BenchmarkLookupHit(b *testing.B) {
	forEachCase(b, func(b *testing.B, bt *benchTable) {
		n := len(bt.hit)
		for i := 0; b.Loop(); i++ {
			if _, ok := bt.tb.Lookup(&bt.hit[i%n], 1); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkLookupMiss(b *testing.B) {
	forEachCase(b, func(b *testing.B, bt *benchTable) {
		n := len(bt.miss)
		for i := 0; b.Loop(); i++ {
			if _, ok := bt.tb.Lookup(&bt.miss[i%n], 1); ok {
				b.Fatal("hit")
			}
		}
	})
}

// BenchmarkInsertDelete inserts a new connection and deletes it, keeping
// the table at its fill level.
func BenchmarkInsertDelete(b *testing.B) {
	forEachCase(b, func(b *testing.B, bt *benchTable) {
		tb := bt.tb
		// A full table has no room: make one slot for the churn.
		if tb.Len() == tb.Cap() {
			idx, _ := tb.Lookup(&bt.hit[0], 1)
			tb.Delete(idx)
			defer func() { i, _ := tb.Insert(&bt.hit[0], 0); tb.Touch(i, 0, 900) }()
		}
		n := len(bt.miss)
		for i := 0; b.Loop(); i++ {
			idx, ok := tb.Insert(&bt.miss[i%n], 1)
			if !ok {
				b.Fatal("insert failed")
			}
			tb.Delete(idx)
		}
	})
}

// BenchmarkExpireScan measures one ExpireInto call of the engine's budget
// (256 slots) over a table where nothing has expired: the steady cost per
// batch.
func BenchmarkExpireScan(b *testing.B) {
	out := make([]Record, 256)
	forEachCase(b, func(b *testing.B, bt *benchTable) {
		for b.Loop() {
			if bt.tb.ExpireInto(1, 256, out) != 0 {
				b.Fatal("expired")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/slot")
	})
}

// BenchmarkExpireChurn is the steady state of a table whose connections
// time out: per op the clock advances, one new connection is inserted
// with a 1 s timeout, and ExpireInto runs with the engine's budget (256
// slots), reclaiming on average one expired connection. The clock step
// holds about n/2 connections live.
func BenchmarkExpireChurn(b *testing.B) {
	for _, c := range []benchCase{{"n=1k", 1000, 1000}, {"n=1M", 1 << 20, 1 << 20}} {
		b.Run(c.name, func(b *testing.B) {
			r := newRand(7)
			tb := New(c.capacity, r.Uint64())
			keys := keyPool(r, 2*c.fill)
			for i := range keys {
				keys[i].CPort, keys[i].VPort = uint16(i), uint16(i>>16)
			}
			out := make([]Record, 256)
			dt := int64(2e9) / int64(c.fill)
			now := int64(0)
			op := func(i int) {
				now += dt
				idx, ok := tb.Insert(&keys[i%len(keys)], now)
				if !ok {
					b.Fatalf("insert failed: len %d", tb.Len())
				}
				tb.Touch(idx, now, 1)
				tb.ExpireInto(now, 256, out)
			}
			for i := 0; i < len(keys); i++ { // reach the steady state
				op(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				op(i)
			}
			b.ReportMetric(float64(tb.Len()), "conns")
		})
	}
}

// BenchmarkMemory reports the bytes per connection of a full table of 1M
// entries with every entry allowed a reply key (New), with the engine's
// default quarter (NewWithReplies(n, n/4)), and with none (DR and TUN
// only). The memory is reserved up front, so the figure does not depend
// on b.N.
func BenchmarkMemory(b *testing.B) {
	const n = 1 << 20
	for _, c := range []struct {
		name    string
		replies int
	}{{"replies=all", n}, {"replies=quarter", n / 4}, {"replies=none", 0}} {
		b.Run(c.name, func(b *testing.B) {
			tb := NewWithReplies(n, c.replies, 1)
			for b.Loop() {
			}
			b.ReportMetric(float64(tb.Bytes())/n, "B/conn")
		})
	}
}
