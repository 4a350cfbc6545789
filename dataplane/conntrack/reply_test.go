package conntrack

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestReplyLayout(t *testing.T) {
	if got := int(reflect.TypeFor[Reply]().Size()); got != replySize {
		t.Errorf("Reply is %d bytes, replySize says %d", got, replySize)
	}
	if got := reflect.TypeFor[ReplyKey]().Size(); got != 40 {
		t.Errorf("ReplyKey is %d bytes, want 40", got)
	}
}

func natReply(rip uint32, rport uint16, k *Key) ReplyKey {
	r := ReplyKey{LocalPort: k.CPort, PeerPort: rport, Proto: k.Proto, Local: k.Client}
	r.Peer[10], r.Peer[11] = 0xff, 0xff
	r.Peer[12], r.Peer[13], r.Peer[14], r.Peer[15] = byte(rip>>24), byte(rip>>16), byte(rip>>8), byte(rip)
	return r
}

func TestReplyLookupFollowsTheConnection(t *testing.T) {
	tb := New(64, 7)
	k := v4Key(0xc6120001, 40000)
	idx, ok := tb.Insert(&k, 0)
	if !ok {
		t.Fatal("insert failed")
	}
	tb.Touch(idx, 0, 10)
	r := natReply(0xc6120b01, 8080, &k)
	hop := Hop{Link: 1, DstMAC: [6]byte{2, 0, 0, 0, 0, 1}}
	if tb.ReplyOf(idx) != nil {
		t.Fatal("a new connection has a reply record")
	}
	if !tb.SetReply(idx, &r, &hop, 0) {
		t.Fatal("SetReply refused a free reply key")
	}
	if got, ok := tb.LookupReply(&r, 1e9); !ok || got != idx {
		t.Fatalf("LookupReply = %d, %v; want %d", got, ok, idx)
	}
	if rec := tb.ReplyOf(idx); rec == nil || rec.Hop != hop || rec.Key != r {
		t.Fatalf("ReplyOf = %+v", rec)
	}
	// A second connection cannot take the same reply key while the first lives.
	k2 := v4Key(0xc6120002, 40000)
	idx2, _ := tb.Insert(&k2, 0)
	if tb.SetReply(idx2, &r, &hop, 0) || tb.Stats().ReplyExists != 1 {
		t.Fatal("SetReply accepted a reply key held by a live connection")
	}
	// Once the first has expired, it can.
	if _, ok := tb.LookupReply(&r, 10e9); ok {
		t.Fatal("LookupReply found an expired connection")
	}
	tb.Touch(idx2, 10e9, 10)
	if !tb.SetReply(idx2, &r, &hop, 10e9) {
		t.Fatal("SetReply refused a key held only by an expired connection")
	}
	if got, ok := tb.LookupReply(&r, 10e9); !ok || got != idx2 {
		t.Fatalf("LookupReply = %d, %v; want the live %d", got, ok, idx2)
	}
	// Deleting removes the reply key with the connection.
	tb.Delete(idx2)
	if _, ok := tb.LookupReply(&r, 10e9); ok {
		t.Fatal("LookupReply found a deleted connection")
	}
	var out [4]Record
	if n := tb.ExpireInto(30e9, 64, out[:]); n != 1 {
		t.Fatalf("expired %d entries, want 1", n)
	}
	for _, s := range tb.ridx.slots {
		if s != 0 {
			t.Fatal("reply index not empty after every connection left")
		}
	}
}

// TestReplyAgainstModel drives the reply index with random operations
// and checks every lookup against a map.
func TestReplyAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const replyCap = 64 // fewer than the live connections: the reply pool fills
	tb := NewWithReplies(512, replyCap, 3)
	keys := keyPool(r, 4096)
	type rec struct {
		idx   int32
		reply ReplyKey
		has   bool
	}
	live := map[Key]*rec{}
	owner := map[ReplyKey]Key{}
	rips := []uint32{0xc6120b01, 0xc6120b02}
	now := int64(0)
	for step := 0; step < 50000; step++ {
		k := keys[r.IntN(len(keys))]
		switch op := r.IntN(10); {
		case op < 4: // new connection with a reply key
			if _, ok := live[k]; ok {
				continue
			}
			idx, ok := tb.Insert(&k, now)
			if !ok {
				continue
			}
			tb.Touch(idx, now, 1000)
			rk := natReply(rips[r.IntN(2)], uint16(8080+r.IntN(2)), &k)
			c := &rec{idx: idx, reply: rk}
			live[k] = c
			_, taken := owner[rk]
			full := len(owner) == replyCap
			if got := tb.SetReply(idx, &rk, &Hop{}, now); got == (taken || full) {
				t.Fatalf("step %d: SetReply = %v with the key taken: %v, the pool full: %v", step, got, taken, full)
			}
			if !taken && !full {
				owner[rk] = k
				c.has = true
			}
			if tb.ReplyLen() != len(owner) {
				t.Fatalf("step %d: ReplyLen %d, model %d", step, tb.ReplyLen(), len(owner))
			}
		case op < 7: // delete
			c, ok := live[k]
			if !ok {
				continue
			}
			tb.Delete(c.idx)
			delete(live, k)
			if c.has {
				delete(owner, c.reply)
			}
		default: // look up
			rk := natReply(rips[r.IntN(2)], uint16(8080+r.IntN(2)), &k)
			idx, ok := tb.LookupReply(&rk, now)
			ck, want := owner[rk]
			if ok != want || (ok && idx != live[ck].idx) {
				t.Fatalf("step %d: LookupReply = %d, %v; model %v", step, idx, ok, want)
			}
		}
	}
	if len(owner) == 0 || tb.Stats().ReplyFull == 0 {
		t.Fatalf("the model never held a reply (%d) or never filled the pool (%d)", len(owner), tb.Stats().ReplyFull)
	}
	if tb.ReplyLen() != len(owner) {
		t.Fatalf("ReplyLen %d, model %d", tb.ReplyLen(), len(owner))
	}
}

// TestReplyCapacity: the reply pool holds ReplyCap records; a full pool
// refuses a new reply key (Stats.ReplyFull) but not a replacement, and a
// removed connection gives its record back.
func TestReplyCapacity(t *testing.T) {
	tb := NewWithReplies(16, 2, 1)
	var idx [3]int32
	var rk [3]ReplyKey
	for i := range idx {
		k := v4Key(0xc6120001+uint32(i), 40000)
		var ok bool
		if idx[i], ok = tb.Insert(&k, 0); !ok {
			t.Fatal("insert failed")
		}
		tb.Touch(idx[i], 0, 10)
		rk[i] = natReply(0xc6120b01, 8080, &k)
	}
	for i := 0; i < 2; i++ {
		if !tb.SetReply(idx[i], &rk[i], &Hop{Link: uint16(i)}, 0) {
			t.Fatalf("SetReply %d refused", i)
		}
	}
	if tb.SetReply(idx[2], &rk[2], &Hop{}, 0) || tb.Stats().ReplyFull != 1 || tb.ReplyOf(idx[2]) != nil {
		t.Fatalf("a third reply key fit in a pool of 2: stats %+v", tb.Stats())
	}
	// Replacing a connection's key needs no new record.
	k0 := keyAt(tb, uint32(idx[0]))
	other := natReply(0xc6120b02, 8080, &k0)
	if !tb.SetReply(idx[0], &other, &Hop{Link: 9}, 0) || tb.ReplyLen() != 2 {
		t.Fatalf("replacing a reply key refused (len %d)", tb.ReplyLen())
	}
	if _, ok := tb.LookupReply(&rk[0], 0); ok {
		t.Fatal("the replaced reply key is still found")
	}
	if got, ok := tb.LookupReply(&other, 0); !ok || got != idx[0] || tb.ReplyOf(idx[0]).Hop.Link != 9 {
		t.Fatalf("LookupReply(new key) = %d, %v", got, ok)
	}
	tb.Delete(idx[1])
	if tb.ReplyLen() != 1 || !tb.SetReply(idx[2], &rk[2], &Hop{Link: 2}, 0) {
		t.Fatalf("a deleted connection did not give its record back (len %d)", tb.ReplyLen())
	}
	for i, want := range map[int]int32{0: -1, 2: idx[2]} {
		got, ok := tb.LookupReply(&rk[i], 0)
		if want < 0 && ok || want >= 0 && (!ok || got != want) {
			t.Errorf("LookupReply(%d) = %d, %v; want %d", i, got, ok, want)
		}
	}
	none := NewWithReplies(16, 0, 1)
	k := v4Key(1, 1)
	i, _ := none.Insert(&k, 0)
	if none.SetReply(i, &rk[0], &Hop{}, 0) || none.Stats().ReplyFull != 1 {
		t.Error("a table without reply capacity accepted a reply key")
	}
}

func TestReplyAllocatesNothing(t *testing.T) {
	tb := New(4096, 9)
	keys := keyPool(newRand(2), 4096)
	i := 0
	a := testing.AllocsPerRun(1000, func() {
		k := &keys[i%len(keys)]
		i++
		idx, ok := tb.Insert(k, 0)
		if !ok {
			return
		}
		rk := natReply(1, 80, k)
		tb.SetReply(idx, &rk, &Hop{}, 0)
		tb.LookupReply(&rk, 0)
		tb.Delete(idx)
	})
	if a != 0 {
		t.Errorf("SetReply/LookupReply allocate %.1f times", a)
	}
}
