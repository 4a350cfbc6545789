package conntrack

import "testing"

// prefetchTable returns a full table of n IPv4 and IPv6 keys (index load
// 3/4), each with a reply key, and the keys; the first n are in it.
func prefetchTable(t *testing.T, n int) (*Table, []Key) {
	tb := New(n, 42)
	keys := keyPool(newRand(3), 2*n)
	for i := range keys {
		keys[i].CPort = uint16(i) // no duplicates
		keys[i].VPort = uint16(i >> 16)
	}
	for i := 0; i < n; i++ {
		idx, ok := tb.Insert(&keys[i], 0)
		if !ok {
			t.Fatalf("insert %d failed", i)
		}
		tb.Touch(idx, 0, 60)
		rk := replyKeyOf(&keys[i])
		if !tb.SetReply(idx, &rk, &Hop{}, 0) {
			t.Fatalf("reply key %d refused", i)
		}
	}
	return tb, keys
}

// replyKeyOf returns a reply key made of k's tuple, as a NAT real
// server's reply to the client would be.
func replyKeyOf(k *Key) ReplyKey {
	return ReplyKey{Peer: k.Virtual, PeerPort: k.VPort, Local: k.Client, LocalPort: k.CPort, Proto: k.Proto}
}

// TestLookupHashFindsWhatLookupFinds checks that Hash is the hash Lookup
// uses: LookupHash with it finds every key Lookup finds, at the same
// index, misses every key Lookup misses, and misses with another hash.
func TestLookupHashFindsWhatLookupFinds(t *testing.T) {
	tb, keys := prefetchTable(t, 3000)
	for i := range keys {
		k := &keys[i]
		want, wantOK := tb.Lookup(k, 1)
		if wantOK != (i < 3000) {
			t.Fatalf("key %d: Lookup found %v", i, wantOK)
		}
		h := tb.Hash(k)
		if got, ok := tb.LookupHash(k, h, 1); got != want || ok != wantOK {
			t.Errorf("key %d: LookupHash = %d, %v; Lookup = %d, %v", i, got, ok, want, wantOK)
		}
		if _, ok := tb.LookupHash(k, h^1<<63, 1); ok {
			t.Errorf("key %d: found with another key's hash", i)
		}
		if _, ok := tb.LookupHash(k, h, 60e9); ok {
			t.Errorf("key %d: found after its deadline", i)
		}
	}
}

// TestPrefetchTargetsTheEntry checks that the entry PrefetchEntry and
// PrefetchReplyEntry would load is the one the lookup then reads, for
// nearly every key of a full table, and never another live key's entry
// but for a tag collision.
func TestPrefetchTargetsTheEntry(t *testing.T) {
	const n = 50000
	tb, keys := prefetchTable(t, n)
	var found, rfound int
	for i := 0; i < n; i++ {
		idx, _ := tb.Lookup(&keys[i], 1)
		if p, ok := tb.idx.first(tagOf(tb.Hash(&keys[i]))); ok {
			found++
			if int32(p) != idx {
				t.Errorf("key %d: prefetch targets entry %d, the lookup reads %d", i, p, idx)
			}
		}
		rk := replyKeyOf(&keys[i])
		ridx, _ := tb.LookupReply(&rk, 1)
		if ridx != idx {
			t.Fatalf("key %d: reply key finds %d, want %d", i, ridx, idx)
		}
		if p, ok := tb.ridx.first(tagOf(tb.ReplyHash(&rk))); ok {
			rfound++
			if int32(p) != idx {
				t.Errorf("reply key %d: prefetch targets entry %d, the lookup reads %d", i, p, idx)
			}
		}
	}
	// At load 3/4 a key is on average 1.5 slots from home; about 1 % are
	// further than prefetchProbe slots.
	if found < n*98/100 || rfound < n*98/100 {
		t.Errorf("prefetch found %d keys and %d reply keys of %d, want 98 %%", found, rfound, n)
	}
}

// TestPrefetchAnyHash checks that the prefetches accept any hash, on an
// empty, a small and a full table and on a table without reply capacity,
// and change nothing.
func TestPrefetchAnyHash(t *testing.T) {
	full, _ := prefetchTable(t, 1536)
	tables := map[string]*Table{
		"empty": New(1, 1), "small": New(100, 1), "full": full, "no replies": NewWithReplies(1000, 0, 1),
	}
	hashes := []uint64{0, 1, 1 << 32, 1<<63 - 1, 1 << 63, ^uint64(0), 0xdeadbeefcafef00d}
	r := newRand(9)
	for range 1000 {
		hashes = append(hashes, r.Uint64())
	}
	for name, tb := range tables {
		before, n := tb.Stats(), tb.Len()
		for _, h := range hashes {
			tb.PrefetchSlot(h)
			tb.PrefetchEntry(h)
			tb.PrefetchReplySlot(h)
			tb.PrefetchReplyEntry(h)
			tb.PrefetchReplyRecord(h)
		}
		if tb.Stats() != before || tb.Len() != n {
			t.Errorf("%s: prefetches changed the table: %+v, %d entries; before %+v, %d", name, tb.Stats(), tb.Len(), before, n)
		}
	}
}
