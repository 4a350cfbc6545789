package conntrack

import (
	"math/rand/v2"
	"testing"
)

// keysHomedAt returns n distinct keys whose home slot in tb's connection
// index is slot.
func keysHomedAt(t *testing.T, tb *Table, r *rand.Rand, slot uint32, n int) []Key {
	t.Helper()
	var keys []Key
	for tries := 0; len(keys) < n; tries++ {
		if tries > 1<<20 {
			t.Fatalf("no key homed at slot %d", slot)
		}
		k := v4Key(r.Uint32(), uint16(r.Uint32()))
		if tb.idx.home(tagOf(tb.hash.sum(&k))) == slot {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestIndexWrapsAtTheLastSlot puts a run on the last slot, so that it
// continues at slot 0, and checks lookups, Robin Hood order and backward
// shift deletion across the wrap.
func TestIndexWrapsAtTheLastSlot(t *testing.T) {
	tb := New(6, 11) // 8 slots
	n := tb.idx.n
	r := newRand(3)
	last := keysHomedAt(t, tb, r, n-1, 3) // slots 7, 0, 1
	first := keysHomedAt(t, tb, r, 0, 2)  // pushed on to slots 2, 3
	idx := map[Key]int32{}
	for _, k := range append(append([]Key{}, first...), last...) { // first ones first: the wrap must displace them
		i, ok := tb.Insert(&k, 0)
		if !ok {
			t.Fatal("insert failed")
		}
		tb.Touch(i, 0, 10)
		idx[k] = i
	}
	checkInvariants(t, tb, 0)
	want := []Key{last[0], last[1], last[2], first[0], first[1]}
	for s, k := range want {
		slot := (n - 1 + uint32(s)) % n
		if got := tb.idx.slots[slot]; uint32(got) != uint32(idx[k]) {
			t.Fatalf("slot %d holds entry %d, want %d (the run wraps to slot 0)", slot, uint32(got), idx[k])
		}
	}
	if d := tb.idx.dist(tagOf(tb.hash.sum(&first[1])), 3); d != 3 {
		t.Fatalf("dist across the wrap = %d, want 3", d)
	}
	// A miss homed at the last slot probes across the wrap and stops.
	miss := keysHomedAt(t, tb, r, n-1, 1)[0]
	if _, ok := tb.Lookup(&miss, 0); ok {
		t.Fatal("Lookup found a key never inserted")
	}
	// Deleting the run's head at slot n-1 shifts everything back across
	// the wrap: the second key comes home to slot n-1.
	tb.Delete(idx[last[0]])
	checkInvariants(t, tb, 0)
	if got := tb.idx.slots[n-1]; uint32(got) != uint32(idx[last[1]]) {
		t.Fatalf("after delete slot %d holds %d, want %d", n-1, uint32(got), idx[last[1]])
	}
	if tb.idx.slots[3] != 0 || uint32(tb.idx.slots[2]) != uint32(idx[first[1]]) {
		t.Fatal("backward shift did not pull the displaced keys back by one")
	}
	for _, k := range append(last[1:], first...) {
		if i, ok := tb.Lookup(&k, 0); !ok || i != idx[k] {
			t.Fatalf("Lookup after delete = %d, %v; want %d", i, ok, idx[k])
		}
	}
}

// TestIndexFullAtThreeQuarters fills a table to Cap, which loads its
// index to exactly 3/4, and checks it stays consistent: every key found, misses
// refused, a full insert refused, and churn at full load (delete one,
// insert another) keeps the invariants.
func TestIndexFullAtThreeQuarters(t *testing.T) {
	tb := New(6000, 5) // 8000 slots
	if tb.Cap()*4 != int(tb.idx.n)*3 {
		t.Fatalf("cap %d, %d slots: not 3/4", tb.Cap(), tb.idx.n)
	}
	r := newRand(9)
	keys := keyPool(r, 2*tb.Cap())
	for i := range keys {
		keys[i].CPort, keys[i].VPort = uint16(i), uint16(i>>16) // distinct
	}
	idx := make([]int32, tb.Cap())
	for i := 0; i < tb.Cap(); i++ {
		var ok bool
		if idx[i], ok = tb.Insert(&keys[i], 0); !ok {
			t.Fatalf("insert %d of %d failed", i, tb.Cap())
		}
		tb.Touch(idx[i], 0, 100)
	}
	if _, ok := tb.Insert(&keys[tb.Cap()], 0); ok || tb.Stats().Full != 1 {
		t.Fatal("insert into a full table succeeded")
	}
	checkInvariants(t, tb, 0)
	for i := range keys {
		got, ok := tb.Lookup(&keys[i], 1)
		if ok != (i < tb.Cap()) || ok && got != idx[i] {
			t.Fatalf("Lookup of key %d = %d, %v", i, got, ok)
		}
	}
	for round := 0; round < 3*tb.Cap(); round++ {
		i := r.IntN(tb.Cap())
		tb.Delete(idx[i])
		j := tb.Cap() + r.IntN(tb.Cap())
		keys[i], keys[j] = keys[j], keys[i]
		var ok bool
		if idx[i], ok = tb.Insert(&keys[i], 0); !ok {
			t.Fatalf("round %d: insert after delete failed", round)
		}
		tb.Touch(idx[i], 0, 100)
		if round%1000 == 0 {
			checkInvariants(t, tb, 0)
		}
	}
	checkInvariants(t, tb, 0)
}

// TestKeyRoundTrip checks that every kind of key the engine makes comes
// back whole from the table: IPv4, IPv6, IPv4 firewall-mark templates
// (::ffff:0.0.0.mark) and IPv6 ones (mark::), the zero key.
func TestKeyRoundTrip(t *testing.T) {
	tb := New(64, 1)
	v6 := Key{Client: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 7}, Virtual: [16]byte{0xfd, 15: 1}, CPort: 1, VPort: 443, Proto: 6}
	mark4 := v4Key(5, 0)
	mark4.Virtual = [16]byte{10: 0xff, 11: 0xff, 15: 9}
	mark4.Proto, mark4.CPort, mark4.VPort = 0, 0, 0
	mark6 := v6
	mark6.Virtual = [16]byte{0, 0, 0, 9}
	half := v4Key(1, 2) // IPv4 client, IPv6 virtual
	half.Virtual = v6.Virtual
	same6 := v6 // equal to v6 in the inline part, not in the side array
	same6.Client[1] = 0x02
	for _, k := range []Key{v4Key(1, 2), v6, mark4, mark6, half, same6, {}} {
		idx, ok := tb.Insert(&k, 0)
		if !ok {
			t.Fatalf("insert %v failed", k)
		}
		var got Key
		tb.KeyOf(idx, &got)
		e := tb.At(idx)
		if got != k || e.Proto() != k.Proto || e.CPort() != k.CPort || e.VPort() != k.VPort {
			t.Fatalf("key %v came back as %v (proto %d ports %d %d)", k, got, e.Proto(), e.CPort(), e.VPort())
		}
		if l, ok := tb.Lookup(&k, 0); !ok || l != idx {
			t.Fatalf("Lookup(%v) = %d, %v; want %d", k, l, ok, idx)
		}
		var pk packed
		if tb.hash.sumPack(&k, &pk) != tb.hash.sum(&k) {
			t.Fatalf("sumPack and sum disagree on %v", k)
		}
	}
	checkInvariants(t, tb, 0)
}
