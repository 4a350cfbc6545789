package conntrack

// index is an open-addressing hash index of 8-byte slots: 0 for an empty
// slot, otherwise a key's tag (top 32 bits of its hash, bit 0 forced to 1)
// in the high half and the entry's pool index in the low half. The slot
// count n is not a power of two: a tag's home slot is (tag*n)>>32
// (fastrange), which keeps the order of the tags, and probing wraps from
// slot n-1 to 0 by comparison. Runs are kept in Robin Hood order (sorted
// by home slot), deletion shifts the following displaced slots back.
//
// The connection index and the reply index are both of this kind.
type index struct {
	slots []uint64
	n     uint32 // len(slots)
}

// Index sizing: the slot count is the smallest with load at most
// loadNum/loadDen when the index holds its capacity, and at least
// minSlots. 3/4 rather than 7/8: with linear probing the run a key is
// inserted into or deleted from, which Robin Hood insertion and backward
// shift deletion move, averages about 1/(1-a)^2/2 slots, 8 at 3/4 and 32
// at 7/8, and measured insert+delete cost twice as much at 7/8
// (BenchmarkInsertDelete) to save 1.5 bytes per connection.
const (
	loadNum, loadDen = 3, 4
	minSlots         = 8
)

// indexSlots returns the slot count of an index for capacity keys:
// ceil(capacity*4/3), the least n with capacity <= n*3/4, and at least
// minSlots. It always leaves an empty slot.
func indexSlots(capacity int) int {
	return max(minSlots, (capacity*loadDen+loadNum-1)/loadNum)
}

// tagOf returns the index tag of hash h.
func tagOf(h uint64) uint32 { return uint32(h>>32) | 1 }

// home returns the home slot of tag.
func (x *index) home(tag uint32) uint32 { return uint32(uint64(tag) * uint64(x.n) >> 32) }

// dist returns how far slot i is from the home slot of tag, along the
// probe order (wrapping at n).
func (x *index) dist(tag, i uint32) uint32 {
	d := i - x.home(tag)
	if int32(d) < 0 {
		d += x.n
	}
	return d
}

// next returns the slot after i in probe order.
func (x *index) next(i uint32) uint32 {
	i++
	if i == x.n {
		i = 0
	}
	return i
}

// prev returns the slot before i in probe order.
func (x *index) prev(i uint32) uint32 {
	if i == 0 {
		return x.n - 1
	}
	return i - 1
}

// put stores the slot value tag<<32|p in Robin Hood order: before the
// first slot whose home is farther along than tag's, shifting that run
// one slot on. The caller knows the index has room.
func (x *index) put(tag, p uint32) {
	i := x.home(tag)
	for d := uint32(0); ; d++ {
		s := x.slots[i]
		if s == 0 {
			break
		}
		if x.dist(uint32(s>>32), i) < d {
			x.shiftUp(i)
			break
		}
		i = x.next(i)
	}
	x.slots[i] = uint64(tag)<<32 | uint64(p)
}

// shiftUp moves the run of slots starting at i one slot on, up to the
// first empty slot, leaving slot i free. An empty slot exists because an
// index has more slots than keys.
func (x *index) shiftUp(i uint32) {
	j := i
	for x.slots[j] != 0 {
		j = x.next(j)
	}
	for j != i {
		p := x.prev(j)
		x.slots[j] = x.slots[p]
		j = p
	}
}

// find returns the slot holding value want (tag<<32|p). It stops at the
// end of the tag's run: a detached entry (detach.go) is not found; the
// bound only keeps a corrupted index from looping.
func (x *index) find(want uint64) (uint32, bool) {
	i := x.home(uint32(want >> 32))
	for n := uint32(0); n < x.n && x.slots[i] != 0; n++ {
		if x.slots[i] == want {
			return i, true
		}
		i = x.next(i)
	}
	return 0, false
}

// remove empties slot i by shifting the following slots that are not in
// their home slot one slot back, which keeps every run intact without
// tombstones.
func (x *index) remove(i uint32) {
	for {
		j := x.next(i)
		s := x.slots[j]
		if s == 0 || x.dist(uint32(s>>32), j) == 0 {
			break
		}
		x.slots[i] = s
		i = j
	}
	x.slots[i] = 0
}
