package conntrack

// prefetchProbe bounds how many slots [Table.PrefetchEntry] reads to find
// a key's tag. At 3/4 load a key is on average 1.5 slots from its home.
const prefetchProbe = 8

// Hash returns the hash of k that [Table.Lookup] computes, for
// [Table.PrefetchSlot], [Table.PrefetchEntry] and [Table.LookupHash].
func (t *Table) Hash(k *Key) uint64 { return t.hash.sum(k) }

// ReplyHash returns the hash of k that [Table.LookupReply] computes, for
// [Table.PrefetchReplySlot] and [Table.PrefetchReplyEntry].
func (t *Table) ReplyHash(k *ReplyKey) uint64 { return t.hash.sumReply(k) }

// PrefetchSlot starts loading the connection index slot where a lookup of
// hash h begins, and returns without waiting for it.
func (t *Table) PrefetchSlot(h uint64) { prefetchSlot(&t.idx.slots[t.idx.home(tagOf(h))]) }

// PrefetchEntry reads the connection index from the home slot of hash h
// (call [Table.PrefetchSlot] well before) and starts loading the entry of
// the first slot with h's tag, if there is one within a few slots.
func (t *Table) PrefetchEntry(h uint64) {
	if p, ok := t.idx.first(tagOf(h)); ok {
		prefetchEntry(&t.entries[p])
	}
}

// PrefetchReplySlot is [Table.PrefetchSlot] for the reply index.
func (t *Table) PrefetchReplySlot(h uint64) { prefetchSlot(&t.ridx.slots[t.ridx.home(tagOf(h))]) }

// PrefetchReplyEntry is [Table.PrefetchEntry] for the reply index: it
// starts loading the entry a reply key's slot names (not its reply
// record, which the entry names).
func (t *Table) PrefetchReplyEntry(h uint64) {
	if p, ok := t.ridx.first(tagOf(h)); ok {
		prefetchEntry(&t.entries[p])
	}
}

// PrefetchReplyRecord reads the entry of hash h's first tagged slot in
// the reply index (call [Table.PrefetchReplyEntry] well before) and starts
// loading its reply record, which holds the reply key
// [Table.LookupReply] compares.
func (t *Table) PrefetchReplyRecord(h uint64) {
	if p, ok := t.ridx.first(tagOf(h)); ok {
		if r := t.entries[p].rec; r != 0 && int(r) <= len(t.replies) {
			prefetchRecord(&t.replies[r-1])
		}
	}
}

// LookupHash is [Table.Lookup] for a key whose hash h the caller has
// from [Table.Hash]. A hash of another key makes it miss.
func (t *Table) LookupHash(k *Key, h uint64, now int64) (idx int32, ok bool) {
	var pk packed
	pack(k, &pk)
	return t.lookup(&pk, tagOf(h), now)
}

// first returns the pool index in the first slot of tag's probe run that
// holds tag, looking at prefetchProbe slots at most: a hint for a
// prefetch, not a lookup (another key may have the same tag).
func (x *index) first(tag uint32) (uint32, bool) {
	i := x.home(tag)
	for d := uint32(0); d < prefetchProbe; d++ {
		s := x.slots[i]
		st := uint32(s >> 32)
		if s == 0 || x.dist(st, i) < d {
			return 0, false
		}
		if st == tag {
			return uint32(s), true
		}
		i = x.next(i)
	}
	return 0, false
}
