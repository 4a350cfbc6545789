package conntrack

import "runtime"

// MaxCapacity is the largest capacity New honours; larger requests are
// clamped to it.
const MaxCapacity = 1 << 29

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
	idx index // the connection index (index.go)

	entries []Entry     // the pool, Cap entries
	wide    [][4]uint64 // entries[p]'s addresses when its key is not IPv4 (entry.go)
	used    []uint64    // bit i set: entries[i] holds a connection
	free    uint32      // head of the free list (through Entry.Dest), or noFree
	high    uint32      // entries[high:] have never been used
	count   int
	cursor  uint32 // next pool index ExpireInto inspects

	// The reply index (reply.go) names pool entries by the hash of their
	// reply key; Entry.rec is 1 + the index in replies of the entry's
	// record. Records come from a pool of their own, sized by the reply
	// capacity, with a free list (rfree, rhigh).
	ridx    index
	replies []Reply
	rfree   uint32
	rhigh   uint32
	rcount  int

	hash  hasher
	stats Stats
	mem   *mappings // the arrays mapped outside the Go heap (memory.go)
	clean runtime.Cleanup
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
// index gets ceil(capacity*4/3) slots, so its load stays at or under 3/4
// when full. seed keys the hash; give each worker its own.
//
// The large arrays are mapped outside the Go heap (see the package
// documentation) and filled from their start, so memory the table never
// used stays untouched (the kernel backs it lazily). [Table.Close] gives
// them back; a table that becomes unreachable gives them back too.
func NewWithReplies(capacity, replies int, seed uint64) *Table {
	capacity = min(max(capacity, 1), MaxCapacity)
	replies = min(max(replies, 0), capacity)
	m := &mappings{}
	t := &Table{
		idx:     index{slots: mapSlice[uint64](m, indexSlots(capacity))},
		entries: mapSlice[Entry](m, capacity),
		wide:    mapSlice[[4]uint64](m, capacity),
		used:    make([]uint64, (capacity+63)/64),
		free:    noFree,
		ridx:    index{slots: mapSlice[uint64](m, indexSlots(replies))},
		replies: mapSlice[Reply](m, replies),
		rfree:   noFree,
		hash:    newHasher(seed),
		mem:     m,
	}
	t.idx.n, t.ridx.n = uint32(len(t.idx.slots)), uint32(len(t.ridx.slots))
	if len(m.regions) > 0 {
		t.clean = runtime.AddCleanup(t, (*mappings).free, m)
	}
	return t
}

// Close gives the table's mapped memory back at once. The table must not
// be used afterwards. Closing twice does nothing.
func (t *Table) Close() {
	t.clean.Stop()
	t.mem.free()
	*t = Table{mem: t.mem}
}

// Len returns the number of entries, including expired entries not yet
// reclaimed by [Table.ExpireInto].
func (t *Table) Len() int { return t.count }

// Cap returns the hard capacity, the capacity given to New: Insert
// refuses a new entry when Len equals Cap.
func (t *Table) Cap() int { return len(t.entries) }

// Bytes returns the memory the table reserves: pool, index and bitmap,
// and the reply index with its records. The side array of IPv6 keys is
// not counted: only entries with an IPv6 key touch it (32 bytes each).
func (t *Table) Bytes() int {
	return len(t.entries)*EntrySize + len(t.idx.slots)*8 + len(t.used)*8 +
		len(t.ridx.slots)*8 + len(t.replies)*replySize
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats { return t.stats }

// At returns entry idx, an index returned by Lookup or Insert. Entries
// never move: the pointer stays valid until the entry is deleted or
// reclaimed, after which the slot may be reused for another connection.
// It points outside the Go heap and does not keep the table alive: use it
// only while the caller holds the table (a worker holds its own for its
// whole life), never after Close.
func (t *Table) At(idx int32) *Entry { return &t.entries[idx] }

// KeyOf writes the key of entry idx into k.
func (t *Table) KeyOf(idx int32, k *Key) {
	e := &t.entries[idx]
	unpack(e.addr, e.tuple, &t.wide[idx], k)
}

// Touch re-arms entry idx to expire timeout seconds after now.
func (t *Table) Touch(idx int32, now int64, timeout uint32) {
	t.entries[idx].Expires = now + int64(timeout)*1e9
}

// matches reports whether pool entry p holds the packed key pk.
func (t *Table) matches(p uint32, pk *packed) bool {
	e := &t.entries[p]
	if e.addr != pk.addr || e.tuple != pk.tuple {
		return false
	}
	return pk.tuple&wideBit == 0 || t.wide[p] == pk.wide
}

// Lookup returns the index of the live entry with key k. Entries that
// expired at or before now are treated as absent; they stay, untouched,
// until ExpireInto (or InsertReclaim) reclaims and reports them.
func (t *Table) Lookup(k *Key, now int64) (idx int32, ok bool) {
	var pk packed
	return t.lookup(&pk, tagOf(t.hash.sumPack(k, &pk)), now)
}

// lookup finds the live entry holding packed key pk, whose tag is tag.
func (t *Table) lookup(pk *packed, tag uint32, now int64) (idx int32, ok bool) {
	x := &t.idx
	i := x.home(tag)
	for d := uint32(0); ; d++ {
		s := x.slots[i]
		st := uint32(s >> 32)
		if s == 0 || x.dist(st, i) < d {
			return 0, false
		}
		if st == tag {
			if p := uint32(s); t.matches(p, pk) && t.entries[p].Expires > now {
				return int32(p), true
			}
		}
		i = x.next(i)
	}
}

// Insert adds an entry with key k and returns its index. The entry is zero
// but for its key and an Expires 2 s after now (the NONE timeout), so it
// is live until the caller fills it and calls Touch. Call Insert only for
// a key Lookup just reported absent.
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
func (t *Table) InsertReclaim(k *Key, now int64, old *Record) (idx int32, reclaimed, ok bool) {
	if t.count >= len(t.entries) {
		p, found := t.nextExpired(now, reclaimWindow)
		if !found {
			t.stats.Full++
			return 0, false, false
		}
		t.record(p, old)
		t.removeEntry(p)
		t.stats.Reclaimed++
		reclaimed = true
	}
	idx, ok = t.insert(k, now)
	return idx, reclaimed, ok
}

// record copies pool entry p with its full key into r.
func (t *Table) record(p uint32, r *Record) {
	r.Entry = t.entries[p]
	r.Entry.rec = 0
	unpack(r.Entry.addr, r.Entry.tuple, &t.wide[p], &r.Key)
}

// insert places k in the index in Robin Hood order, before the first
// entry whose home slot is farther along, and gives it a pool entry.
func (t *Table) insert(k *Key, now int64) (int32, bool) {
	var pk packed
	tag := tagOf(t.hash.sumPack(k, &pk))
	x := &t.idx
	i := x.home(tag)
	for d := uint32(0); ; d++ {
		s := x.slots[i]
		if s == 0 {
			break
		}
		st := uint32(s >> 32)
		if x.dist(st, i) < d {
			x.shiftUp(i)
			break
		}
		if st == tag {
			if p := uint32(s); t.matches(p, &pk) && t.entries[p].Expires > now {
				t.stats.Exists++
				return int32(p), false
			}
		}
		i = x.next(i)
	}
	p := t.alloc()
	x.slots[i] = uint64(tag)<<32 | uint64(p)
	t.entries[p] = Entry{addr: pk.addr, tuple: pk.tuple, Expires: now + insertGrace}
	if pk.tuple&wideBit != 0 {
		t.wide[p] = pk.wide
	}
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
	t.unlink(p)
	e := &t.entries[p]
	if e.rec != 0 {
		t.removeReply(p)
	}
	*e = Entry{Dest: t.free}
	t.free = p
	t.used[p/64] &^= 1 << (p % 64)
	t.count--
}

// unlink removes pool entry p's slot from the connection index, if it
// has one (a detached entry has none).
func (t *Table) unlink(p uint32) {
	var k Key
	t.KeyOf(int32(p), &k)
	if i, ok := t.idx.find(uint64(tagOf(t.hash.sum(&k)))<<32 | uint64(p)); ok {
		t.idx.remove(i)
	}
}
