package conntrack

import "encoding/binary"

// ReplyKey identifies the reply direction of a connection whose replies
// pass through the director: a packet from Peer:PeerPort to
// Local:LocalPort. For NAT the peer is the real server (RIP:rport) and the
// local end the client (CIP:cport); for FULLNAT the peer is the real
// server and the local end the director's local address and port
// (LIP:lport). Addresses are 16 bytes, IPv4 mapped as in [Key]; ports are
// in host order; the padding must stay zero.
type ReplyKey struct {
	Peer      [16]byte
	Local     [16]byte
	PeerPort  uint16
	LocalPort uint16
	Proto     uint8
	_         [3]byte
}

// Hop says how to send a reply on towards the client: the link and the
// Ethernet addresses to write. The table never reads it; the engine
// fills it from the client's packets.
type Hop struct {
	Link   uint16
	DstMAC [6]byte
	SrcMAC [6]byte
}

// Reply is the reply record of a connection: its reply key and the hop
// back to the client. Only connections given one with [Table.SetReply]
// have it; records come from a pool of the reply capacity
// ([NewWithReplies]), so DR and TUN connections cost nothing here.
type Reply struct {
	Key ReplyKey
	Hop Hop
}

// replySize is the size of a [Reply] in the records array (a test checks
// it): a 40-byte key and a 14-byte hop, 2-byte aligned.
const replySize = 54

// sumReply returns the hash of a reply key, folded like [hasher.sum].
func (h *hasher) sumReply(k *ReplyKey) uint64 {
	c0 := binary.LittleEndian.Uint64(k.Peer[0:8])
	c1 := binary.LittleEndian.Uint64(k.Peer[8:16])
	v0 := binary.LittleEndian.Uint64(k.Local[0:8])
	v1 := binary.LittleEndian.Uint64(k.Local[8:16])
	p := uint64(k.PeerPort) | uint64(k.LocalPort)<<16 | uint64(k.Proto)<<32
	a := mix(c0^h.k1, c1^h.k0)
	b := mix(v0^h.k3, v1^h.k2)
	return mix(a^p^h.k4, b^h.k1)
}

// ReplyCap returns the reply capacity: how many entries may have a reply
// key at a time.
func (t *Table) ReplyCap() int { return len(t.replies) }

// ReplyLen returns how many entries have a reply key.
func (t *Table) ReplyLen() int { return t.rcount }

// SetReply gives connection idx (an index from Lookup or Insert) the
// reply key k, so that [Table.LookupReply] finds it, and the hop hop; a
// reply key it had before is replaced. It returns false, changing
// nothing, when another live connection has the same reply key (counted
// in Stats.ReplyExists): the caller cannot tell their replies apart and
// refuses the new connection; or when the entry has no record yet and
// every record is taken (ReplyLen == ReplyCap, counted in
// Stats.ReplyFull). It does not allocate.
func (t *Table) SetReply(idx int32, k *ReplyKey, hop *Hop, now int64) bool {
	p := uint32(idx)
	tag := tagOf(t.hash.sumReply(k))
	x := &t.ridx
	i := x.home(tag)
	for d := uint32(0); ; d++ {
		s := x.slots[i]
		st := uint32(s >> 32)
		if s == 0 || x.dist(st, i) < d {
			break
		}
		if o := uint32(s); st == tag && o != p {
			if t.replies[t.entries[o].rec-1].Key == *k && t.entries[o].Expires > now {
				t.stats.ReplyExists++
				return false
			}
		}
		i = x.next(i)
	}
	e := &t.entries[p]
	r := e.rec
	if r != 0 {
		t.unlinkReply(p)
	} else {
		var ok bool
		if r, ok = t.allocReply(); !ok {
			t.stats.ReplyFull++
			return false
		}
		e.rec = r
	}
	x.put(tag, p)
	t.replies[r-1] = Reply{Key: *k, Hop: *hop}
	return true
}

// allocReply takes a reply record: the most recently freed one, or a
// fresh one. It returns 1 + its index.
func (t *Table) allocReply() (uint32, bool) {
	if r := t.rfree; r != noFree {
		t.rfree = binary.LittleEndian.Uint32(t.replies[r].Key.Peer[0:4])
		t.rcount++
		return r + 1, true
	}
	if int(t.rhigh) >= len(t.replies) {
		return 0, false
	}
	t.rhigh++
	t.rcount++
	return t.rhigh, true
}

// LookupReply returns the index of the live connection whose reply key is
// k. It does not allocate.
func (t *Table) LookupReply(k *ReplyKey, now int64) (idx int32, ok bool) {
	tag := tagOf(t.hash.sumReply(k))
	x := &t.ridx
	i := x.home(tag)
	for d := uint32(0); ; d++ {
		s := x.slots[i]
		st := uint32(s >> 32)
		if s == 0 || x.dist(st, i) < d {
			return 0, false
		}
		if st == tag {
			e := &t.entries[uint32(s)]
			if t.replies[e.rec-1].Key == *k && e.Expires > now {
				return int32(uint32(s)), true
			}
		}
		i = x.next(i)
	}
}

// ReplyOf returns the reply record of connection idx, or nil if it has
// none. The caller may change the record's Hop, never its Key. Like
// [Table.At], the pointer does not keep the table alive.
func (t *Table) ReplyOf(idx int32) *Reply {
	p := uint32(idx)
	if p >= uint32(len(t.entries)) || t.entries[p].rec == 0 {
		return nil
	}
	return &t.replies[t.entries[p].rec-1]
}

// removeReply unlinks pool entry p from the reply index and frees its
// record.
func (t *Table) removeReply(p uint32) {
	t.unlinkReply(p)
	e := &t.entries[p]
	r := e.rec - 1
	binary.LittleEndian.PutUint32(t.replies[r].Key.Peer[0:4], t.rfree)
	t.rfree = r
	e.rec = 0
	t.rcount--
}

// unlinkReply removes pool entry p's slot from the reply index.
func (t *Table) unlinkReply(p uint32) {
	want := uint64(tagOf(t.hash.sumReply(&t.replies[t.entries[p].rec-1].Key)))<<32 | uint64(p)
	if i, ok := t.ridx.find(want); ok {
		t.ridx.remove(i)
	}
}
