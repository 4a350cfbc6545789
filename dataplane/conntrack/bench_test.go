package conntrack

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
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
	{"n=1k", 1000, 1000},              // 1334 slots: index load 3/4
	{"n=1536/full", 1536, 1536},       // 2048 slots: index load 3/4
	{"n=1M", 1 << 20, 1 << 20},        // 1398102 slots: index load 3/4
	{"n=1.5M/full", 3 << 19, 3 << 19}, // 2097152 slots: index load 3/4
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

// BenchmarkMemory reports the memory per connection of a table for 2^20
// connections holding 1,000,000 IPv4 ones: DR-like (no reply capacity),
// NAT-like with the engine's default reply capacity (a quarter: the first
// 2^18 connections get a reply key) and with one for every connection.
// B/conn is what the table reserves per connection of capacity
// (Table.Bytes / 2^20); resident-B/conn what the kernel backs per
// connection held (the table's mappings by mincore, and its bitmap).
func BenchmarkMemory(b *testing.B) {
	const n, conns = 1 << 20, 1_000_000
	for _, c := range []struct {
		name    string
		replies int
	}{{"replies=none", 0}, {"replies=quarter", n / 4}, {"replies=all", n}} {
		b.Run(c.name, func(b *testing.B) {
			tb := NewWithReplies(n, c.replies, 1)
			defer tb.Close()
			if fillV4(tb, conns) != conns {
				b.Fatal("fill failed")
			}
			for p := uint32(0); p < uint32(c.replies) && p < conns; p++ {
				var k Key
				tb.KeyOf(int32(p), &k)
				rk := natReply(0xc6120b01+p%64, 8080, &k)
				if !tb.SetReply(int32(p), &rk, &Hop{}, 0) {
					b.Fatalf("SetReply %d refused", p)
				}
			}
			for b.Loop() {
			}
			res, err := tb.residentBytes()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(tb.Bytes())/n, "B/conn")
			b.ReportMetric(float64(res+len(tb.used)*8)/conns, "resident-B/conn")
		})
	}
}

// BenchmarkHugePages compares the table's arrays on transparent huge
// pages (MADV_HUGEPAGE, the default) and on 4 KiB pages: lookups of
// random live connections and insert+delete churn in a table of 2^20
// connections, where every lookup misses the TLB on small pages.
// huge-MiB is the process's AnonHugePages after the fill.
func BenchmarkHugePages(b *testing.B) {
	for _, huge := range []bool{true, false} {
		name := "huge=off"
		if huge {
			name = "huge=on"
		}
		b.Run(name, func(b *testing.B) {
			saved := hugePages
			hugePages = huge
			defer func() { hugePages = saved }()
			const n = 1 << 20
			r := newRand(5)
			tb := New(n, r.Uint64())
			defer tb.Close()
			keys := keyPool(r, n+n/8)
			for i := range keys {
				keys[i].CPort, keys[i].VPort = uint16(i), uint16(i>>16)
			}
			for i := 0; i < n-n/16; i++ {
				idx, _ := tb.Insert(&keys[i], 0)
				tb.Touch(idx, 0, 900)
			}
			hit := keys[:n-n/16]
			r.Shuffle(len(hit), func(i, j int) { hit[i], hit[j] = hit[j], hit[i] })
			churn := keys[n:]
			b.Run("LookupHit", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, ok := tb.Lookup(&hit[i%len(hit)], 1); !ok {
						b.Fatal("miss")
					}
				}
				b.ReportMetric(float64(anonHugeBytes())/(1<<20), "huge-MiB")
			})
			b.Run("InsertDelete", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					idx, ok := tb.Insert(&churn[i%len(churn)], 1)
					if !ok {
						b.Fatal("insert failed")
					}
					tb.Delete(idx)
				}
			})
		})
	}
}

// anonHugeBytes returns the process's AnonHugePages from
// /proc/self/smaps_rollup, 0 when it cannot be read.
func anonHugeBytes() int {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb << 10
		}
	}
	return 0
}

// BenchmarkLookupBatch looks up batches of 64 random live keys, as a
// worker does with a batch of frames: one after the other (plain); with
// the hashes computed first and passed to LookupHash (hash); in the three
// passes of a batched lookup, hash and prefetch every slot, prefetch
// every entry, look up (prefetch); and the same passing the hashes to
// LookupHash (prefetch+hash). It reports ns per lookup.
func BenchmarkLookupBatch(b *testing.B) {
	const batch = 64
	for _, mode := range []string{"plain", "hash", "prefetch", "prefetch+hash"} {
		b.Run(mode, func(b *testing.B) {
			forEachCase(b, func(b *testing.B, bt *benchTable) {
				tb, n := bt.tb, len(bt.hit)
				var hs [batch]uint64
				i := 0
				for b.Loop() {
					keys := bt.hit[i : i+batch]
					if i += batch; i+batch > n {
						i = 0
					}
					if mode != "plain" {
						for k := range keys {
							hs[k] = tb.Hash(&keys[k])
							if mode != "hash" {
								tb.PrefetchSlot(hs[k])
							}
						}
					}
					if mode == "prefetch" || mode == "prefetch+hash" {
						for k := range keys {
							tb.PrefetchEntry(hs[k])
						}
					}
					for k := range keys {
						var ok bool
						if mode == "hash" || mode == "prefetch+hash" {
							_, ok = tb.LookupHash(&keys[k], hs[k], 1)
						} else {
							_, ok = tb.Lookup(&keys[k], 1)
						}
						if !ok {
							b.Fatal("miss")
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/lookup")
			})
		})
	}
}
