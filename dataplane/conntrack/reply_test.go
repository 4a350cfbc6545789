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
	var out [4]Entry
	if n := tb.ExpireInto(30e9, 64, out[:]); n != 1 {
		t.Fatalf("expired %d entries, want 1", n)
	}
	for _, s := range tb.rslots {
		if s != 0 {
			t.Fatal("reply index not empty after every connection left")
		}
	}
}

// TestReplyAgainstModel drives the reply index with random operations
// and checks every lookup against a map.
func TestReplyAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tb := New(512, 3)
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
			if got := tb.SetReply(idx, &rk, &Hop{}, now); got == taken {
				t.Fatalf("step %d: SetReply = %v with the key taken: %v", step, got, taken)
			}
			if !taken {
				owner[rk] = k
				c.has = true
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
	if len(owner) == 0 {
		t.Fatal("the model never held a reply")
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
