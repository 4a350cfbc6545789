package conntrack

// Table sizing.
const (
	// loadNum/loadDen is the maximum load factor of the index: the slot
	// count is the smallest power of two with Cap <= slots*3/4.
	loadNum, loadDen = 3, 4
	minSlots         = 8
	// MaxCapacity is the largest capacity New honours; larger requests
	// are clamped to it.
	MaxCapacity = 1 << 29
)

// insertGrace is the lifetime Insert gives a new entry until the caller
// re-arms it with Touch: the default NONE timeout, 2 s.
const insertGrace = 2 * 1e9

// Table is one worker's connection table. Entries live in a fixed pool
// and never move, so an entry's index is stable for its lifetime; an
// open-addressing index maps keys to pool indices. See the package
// documentation for the layout and for the sizing, expiry and full-table
// policies.
//
// A Table is not safe for concurrent use: it is owned by one worker
// goroutine, and every method, including [Table.Stats] and
// [Table.Range], must be called from that goroutine.
type Table struct {
	// slots is the index: 0 for an empty slot, otherwise the entry's tag
	// (top 32 bits of its hash, bit 0 forced to 1; its top bits are the
	// home slot) in the high half and its pool index in the low half.
	// Runs are kept in Robin Hood order (sorted by home slot).
	slots []uint64
	mask  uint32
	shift uint32 // home(tag) = tag >> shift

	entries []Entry  // the pool, Cap entries
	used    []uint64 // bit i set: entries[i] holds a connection
	free    uint32   // head of the free list (through Entry.Dest), or noFree
	high    uint32   // entries[high:] have never been used
	count   int
	cursor  uint32 // next pool index ExpireInto inspects

	// The reply index (reply.go): rslots is laid out like slots (with its
	// own rmask and rshift) and names pool entries by the hash of their
	// reply key; rec[p] is 1 + the index in replies of entry p's reply
	// record, 0 for none. Records come from a pool of their own, sized
	// by the reply capacity, with a free list (rfree, rhigh).
	rslots []uint64
	rmask  uint32
	rshift uint32
	rec    []uint32

	replies []Reply
	rfree   uint32
	rhigh   uint32
	rcount  int

	hash  hasher
	stats Stats
}

const noFree = ^uint32(0)

// Stats counts a table's events since New. It is a plain copy for the
// owner; publish it through the owner's own counters if other goroutines
// read it.
type Stats struct {
	Inserts   uint64 // entries created by Insert and InsertReclaim
	Deletes   uint64 // entries removed by Delete
	Expired   uint64 // expired entries reclaimed by ExpireInto
	Reclaimed uint64 // expired entries reclaimed by InsertReclaim
	Full      uint64 // inserts refused because the table was full
	Exists    uint64 // inserts refused because the key was already live
	Sweeps    uint64 // completed passes of the expiry cursor over the pool
	// ReplyExists counts SetReply calls refused because another live
	// connection has the same reply key.
	ReplyExists uint64
	// ReplyFull counts SetReply calls refused because every reply record
	// was taken.
	ReplyFull uint64
}

// New returns an empty table holding up to capacity entries, every one of
// which may have a reply key: NewWithReplies(capacity, capacity, seed).
func New(capacity int, seed uint64) *Table {
	return NewWithReplies(capacity, capacity, seed)
}

// NewWithReplies returns an empty table holding up to capacity entries,
// of which up to replies at a time may have a reply key ([Table.SetReply]);
// capacity is clamped to [1, MaxCapacity], replies to [0, capacity]. Each
// index gets the smallest power-of-two slot count that keeps its load at
// or under 3/4 when full. seed keys the hash; give each worker its own.
//
// The pools are allocated up front but filled from their start, so memory
// the table never used stays untouched (the kernel backs it lazily).
func NewWithReplies(capacity, replies int, seed uint64) *Table {
	capacity = min(max(capacity, 1), MaxCapacity)
	replies = min(max(replies, 0), capacity)
	n, b := indexSize(capacity)
	rn, rb := indexSize(max(replies, 1))
	return &Table{
		slots:   make([]uint64, n),
		mask:    uint32(n - 1),
		shift:   32 - b,
		entries: make([]Entry, capacity),
		used:    make([]uint64, (capacity+63)/64),
		free:    noFree,
		rslots:  make([]uint64, rn),
		rmask:   uint32(rn - 1),
		rshift:  32 - rb,
		rec:     make([]uint32, capacity),
		replies: make([]Reply, replies),
		rfree:   noFree,
		hash:    newHasher(seed),
	}
}

// indexSize returns the slot count of an index for capacity keys, a power
// of two 2^b with a load of at most 3/4, and b.
func indexSize(capacity int) (n int, b uint32) {
	n = minSlots
	for n/loadDen*loadNum < capacity {
		n *= 2
	}
	for 1<<b < n {
		b++
	}
	return n, b
}

// Len returns the number of entries, including expired entries not yet
// reclaimed by [Table.ExpireInto].
func (t *Table) Len() int { return t.count }

// Cap returns the hard capacity, the capacity given to New: Insert
// refuses a new entry when Len equals Cap.
func (t *Table) Cap() int { return len(t.entries) }

// Bytes returns the memory the table holds: pool, index and bitmap, the
// per-entry reply reference, and the reply index with its records.
func (t *Table) Bytes() int {
	return len(t.entries)*EntrySize + len(t.slots)*8 + len(t.used)*8 + len(t.rec)*4 +
		len(t.rslots)*8 + len(t.replies)*replySize
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats { return t.stats }

// At returns entry idx, an index returned by Lookup or Insert. Entries
// never move: the pointer stays valid until the entry is deleted or
// reclaimed, after which the slot may be reused for another connection.
func (t *Table) At(idx int32) *Entry { return &t.entries[idx] }

// Touch re-arms entry idx to expire timeout seconds after now.
func (t *Table) Touch(idx int32, now int64, timeout uint32) {
	t.entries[idx].Expires = now + int64(timeout)*1e9
}

// tagOf returns the index tag of hash h.
func tagOf(h uint64) uint32 { return uint32(h>>32) | 1 }

// dist returns how far slot i of the connection index is from the home
// slot of tag.
func (t *Table) dist(tag, i uint32) uint32 { return (i - tag>>t.shift) & t.mask }

// Lookup returns the index of the live entry with key k. Entries that
// expired at or before now are treated as absent; they stay, untouched,
// until ExpireInto (or InsertReclaim) reclaims and reports them.
func (t *Table) Lookup(k *Key, now int64) (idx int32, ok bool) {
	tag := tagOf(t.hash.sum(k))
	i := tag >> t.shift
	for d := uint32(0); ; d++ {
		s := t.slots[i]
		st := uint32(s >> 32)
		if s == 0 || t.dist(st, i) < d {
			return 0, false
		}
		if st == tag {
			e := &t.entries[uint32(s)]
			if e.Key.equal(k) && e.Expires > now {
				return int32(uint32(s)), true
			}
		}
		i = (i + 1) & t.mask
	}
}

// Insert adds an entry with key k and returns its index. The entry is zero
// but for Key and an Expires 2 s after now (the NONE timeout), so it is
// live until the caller fills it and calls Touch. Call Insert only for a
// key Lookup just reported absent.
//
// Insert never reuses or overwrites an entry that has not been removed,
// expired or not, so the caller learns about every expired entry through
// ExpireInto (or InsertReclaim). It returns ok=false, leaving the table
// unchanged, when the table is full (Len == Cap; counted in Stats.Full)
// or when a live entry with key k exists (idx then names it; counted in
// Stats.Exists).
func (t *Table) Insert(k *Key, now int64) (idx int32, ok bool) {
	if t.count >= len(t.entries) {
		t.stats.Full++
		return 0, false
	}
	return t.insert(k, now)
}

// InsertReclaim is Insert with an eviction policy for a full table: when
// Len == Cap it advances the expiry sweep by up to 64 entries looking for
// one expired at now; if it finds one it removes it, copies it to *old,
// reports reclaimed=true and inserts k. The caller must release *old
// whenever reclaimed is true, even if ok is false (k was live). Without
// an expired entry it fails like Insert. A table that is not full never
// reclaims.
func (t *Table) InsertReclaim(k *Key, now int64, old *Entry) (idx int32, reclaimed, ok bool) {
	if t.count >= len(t.entries) {
		p, found := t.nextExpired(now, reclaimWindow)
		if !found {
			t.stats.Full++
			return 0, false, false
		}
		*old = t.entries[p]
		t.removeEntry(p)
		t.stats.Reclaimed++
		reclaimed = true
	}
	idx, ok = t.insert(k, now)
	return idx, reclaimed, ok
}

// insert places k in the index in Robin Hood order, before the first
// entry whose home slot is farther along, and gives it a pool entry.
func (t *Table) insert(k *Key, now int64) (int32, bool) {
	tag := tagOf(t.hash.sum(k))
	i := tag >> t.shift
	for d := uint32(0); ; d++ {
		s := t.slots[i]
		if s == 0 {
			break
		}
		st := uint32(s >> 32)
		if t.dist(st, i) < d {
			shiftUp(t.slots, t.mask, i)
			break
		}
		if st == tag {
			e := &t.entries[uint32(s)]
			if e.Key.equal(k) && e.Expires > now {
				t.stats.Exists++
				return int32(uint32(s)), false
			}
		}
		i = (i + 1) & t.mask
	}
	p := t.alloc()
	t.slots[i] = uint64(tag)<<32 | uint64(p)
	t.entries[p] = Entry{Key: *k, Expires: now + insertGrace}
	t.used[p/64] |= 1 << (p % 64)
	t.count++
	t.stats.Inserts++
	return int32(p), true
}

// alloc takes a pool entry: the most recently freed one, or a fresh one.
// The caller has checked that the table is not full.
func (t *Table) alloc() uint32 {
	if p := t.free; p != noFree {
		t.free = t.entries[p].Dest
		return p
	}
	t.high++
	return t.high - 1
}

// shiftUp moves the run of slots (of the connection or the reply index,
// whose slot count is mask+1) starting at i one slot on, up to the first
// empty slot, leaving slot i free. An empty slot exists because each
// index has more slots than keys.
func shiftUp(slots []uint64, mask, i uint32) {
	j := i
	for slots[j] != 0 {
		j = (j + 1) & mask
	}
	for j != i {
		p := (j - 1) & mask
		slots[j] = slots[p]
		j = p
	}
}

// Delete removes entry idx. Deleting a free entry or an index out of
// range does nothing.
func (t *Table) Delete(idx int32) {
	p := uint32(idx)
	if p >= uint32(len(t.entries)) || t.used[p/64]&(1<<(p%64)) == 0 {
		return
	}
	t.removeEntry(p)
	t.stats.Deletes++
}

// removeEntry unlinks pool entry p from the index and frees it.
func (t *Table) removeEntry(p uint32) {
	e := &t.entries[p]
	if i, ok := t.slotOf(&e.Key, p); ok {
		removeSlot(t.slots, t.mask, t.shift, i)
	}
	if t.rec[p] != 0 {
		t.removeReply(p)
	}
	*e = Entry{Dest: t.free}
	t.free = p
	t.used[p/64] &^= 1 << (p % 64)
	t.count--
}

// slotOf returns the index slot that names pool entry p with key k. It
// is not found for a detached entry (detach.go): the search stops at the
// end of the key's run, the first empty slot; the bound only keeps a
// corrupted table from looping.
func (t *Table) slotOf(k *Key, p uint32) (uint32, bool) {
	want := uint64(tagOf(t.hash.sum(k)))<<32 | uint64(p)
	i := uint32(want>>32) >> t.shift
	for n := uint32(0); n <= t.mask && t.slots[i] != 0; n++ {
		if t.slots[i] == want {
			return i, true
		}
		i = (i + 1) & t.mask
	}
	return 0, false
}

// removeSlot empties slot i of slots (the connection or the reply index,
// with its mask and shift) by shifting the following slots that are not
// in their home slot one slot back, which keeps every run intact without
// tombstones.
func removeSlot(slots []uint64, mask, shift, i uint32) {
	for {
		j := (i + 1) & mask
		s := slots[j]
		if s == 0 || (j-uint32(s>>32)>>shift)&mask == 0 {
			break
		}
		slots[i] = s
		i = j
	}
	slots[i] = 0
}
