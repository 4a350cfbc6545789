package conntrack

import "testing"

// A detached entry is gone from the key's point of view and still there
// for its reply, its deadline and the count, until it leaves like any
// other entry.
func TestDetachKeepsTheReplyAndFreesTheKey(t *testing.T) {
	tb := New(64, 3)
	k := v4Key(0xc6130007, 5353)
	idx, _ := tb.Insert(&k, 0)
	tb.Touch(idx, 0, 5)
	r := natReply(0xc6120b01, 53, &k)
	if !tb.SetReply(idx, &r, &Hop{Link: 2}, 0) {
		t.Fatal("SetReply refused")
	}
	tb.Detach(idx)
	if _, ok := tb.Lookup(&k, 1e9); ok {
		t.Fatal("Lookup found a detached entry")
	}
	if got, ok := tb.LookupReply(&r, 1e9); !ok || got != idx {
		t.Fatalf("LookupReply = %d, %v after Detach; want %d", got, ok, idx)
	}
	if tb.Len() != 1 {
		t.Fatalf("Len %d, want 1", tb.Len())
	}
	// The key is free for a new connection of the same flow.
	idx2, ok := tb.Insert(&k, 1e9)
	if !ok || idx2 == idx {
		t.Fatalf("Insert of the detached key: %d, %v", idx2, ok)
	}
	tb.Touch(idx2, 1e9, 300)
	if got, ok := tb.Lookup(&k, 2e9); !ok || got != idx2 {
		t.Fatalf("Lookup = %d, %v; want the new entry %d", got, ok, idx2)
	}
	tb.Detach(idx) // twice: nothing happens
	// The sweep removes the detached entry at its deadline, with its reply
	// key, and leaves the new one in the index.
	var out [4]Record
	if n := tb.ExpireInto(6e9, 64, out[:]); n != 1 || out[0].Key != k {
		t.Fatalf("ExpireInto removed %d entries (%+v), want the detached one", n, out[:n])
	}
	if _, ok := tb.LookupReply(&r, 6e9); ok {
		t.Fatal("the expired detached entry's reply key is still found")
	}
	if got, ok := tb.Lookup(&k, 6e9); !ok || got != idx2 || tb.Len() != 1 {
		t.Fatalf("Lookup = %d, %v, Len %d; want the new entry alone", got, ok, tb.Len())
	}
	// Delete of a detached entry frees it too.
	tb.Detach(idx2)
	tb.Delete(idx2)
	if tb.Len() != 0 || tb.Stats().Deletes != 1 {
		t.Fatalf("Len %d, deletes %d after deleting a detached entry", tb.Len(), tb.Stats().Deletes)
	}
	tb.Detach(idx2) // a free entry: nothing happens
	tb.Detach(1 << 20)
}

// Detaching entries in the middle of long probe runs keeps every other
// key reachable and removable.
func TestDetachInCrowdedRuns(t *testing.T) {
	tb := New(96, 9)
	var keys []Key
	var idxs []int32
	for i := 0; i < 96; i++ {
		k := v4Key(0xc6130000+uint32(i), uint16(1000+i))
		idx, ok := tb.Insert(&k, 0)
		if !ok {
			t.Fatal("insert failed")
		}
		tb.Touch(idx, 0, 10)
		keys, idxs = append(keys, k), append(idxs, idx)
	}
	for i := 0; i < 96; i += 3 {
		tb.Detach(idxs[i])
	}
	for i, k := range keys {
		_, ok := tb.Lookup(&k, 1)
		if ok != (i%3 != 0) {
			t.Fatalf("key %d: found %v", i, ok)
		}
	}
	for _, idx := range idxs {
		tb.Delete(idx)
	}
	if tb.Len() != 0 {
		t.Fatalf("Len %d after deleting everything", tb.Len())
	}
	for _, s := range tb.idx.slots {
		if s != 0 {
			t.Fatal("a slot is still taken")
		}
	}
}
