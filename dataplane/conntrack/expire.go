package conntrack

import "math/bits"

// reclaimWindow bounds the pool entries InsertReclaim inspects for an
// expired entry when the table is full.
const reclaimWindow = 64

// sweepPrefetchMin is the used pool size from which the sweep prefetches
// the entries of the bitmap word after the one it reads: 2^15 entries
// are 1.5 MB, about one core's L2 cache; below, the entries are cached
// and the prefetches cost time (BenchmarkExpireScan).
const sweepPrefetchMin = 1 << 15

// ExpireInto continues the expiry sweep: it inspects up to budget pool
// entries, and the used pool once at most, starting where the previous call (or InsertReclaim) stopped,
// removes every entry expired at now (Expires <= now) and copies it, with
// its key, into out, so the caller can release what the connection held
// (per-destination counts, FULLNAT ports). It stops early when out is
// full and returns the number of entries copied.
//
// The sweep walks the pool in index order up to the highest index ever
// used, then starts over; entries never move, so one sweep sees every
// entry that existed during it. An entry expires at most one sweep after
// its deadline: about used-pool-size/budget calls.
func (t *Table) ExpireInto(now int64, budget int, out []Record) int {
	// One sweep per call at most: a second look at an entry at the same
	// now finds nothing new (a budget larger than a small pool used to
	// wrap around it again and again).
	budget = min(budget, int(t.high))
	n := 0
	for n < len(out) && budget > 0 && t.count > 0 {
		p, found, inspected := t.scan(now, budget)
		budget -= inspected
		if !found {
			break
		}
		t.record(p, &out[n])
		n++
		t.removeEntry(p)
	}
	t.stats.Expired += uint64(n)
	return n
}

// nextExpired advances the sweep by up to budget entries to the next
// expired entry.
func (t *Table) nextExpired(now int64, budget int) (uint32, bool) {
	p, found, _ := t.scan(now, budget)
	return p, found
}

// scan inspects up to budget pool entries from the cursor and stops after
// the first one expired at now, returning it and how many it inspected.
// It takes the bitmap a word at a time and reads only the entries whose
// bit is set; the rest of a word without a set bit counts as inspected
// at once, even past the budget.
func (t *Table) scan(now int64, budget int) (p uint32, found bool, inspected int) {
	high := t.high
	if high == 0 {
		return 0, false, 0
	}
	entries, used := t.entries[:high], t.used
	c := t.cursor
	for inspected < budget {
		if c >= high {
			c = 0
			t.stats.Sweeps++
		}
		end := min((c|63)+1, high) // the end of c's bitmap word
		if next := min(end+64, high); high >= sweepPrefetchMin && next > end && used[end/64] != 0 {
			// The next word's entries, while this one's are read:
			// the sweep walks memory that is cold after a batch.
			prefetchEntries(entries[end:next])
		}
		stop := end // where the budget runs out
		if left := budget - inspected; left < int(end-c) {
			stop = c + uint32(left)
		}
		w := used[c/64] >> (c % 64)
		rest := w >> (stop - c) // entries of the word past the budget
		if n := stop - c; n < 64 {
			w &= 1<<n - 1
		}
		for ; w != 0; w &= w - 1 {
			q := c + uint32(bits.TrailingZeros64(w))
			if entries[q].Expires <= now {
				t.cursor = q + 1
				return q, true, inspected + int(q-c) + 1
			}
		}
		if stop < end && rest != 0 { // out of budget before the word's last connection
			inspected += int(stop - c)
			c = stop
			break
		}
		inspected += int(end - c)
		c = end
	}
	t.cursor = c
	return 0, false, inspected
}

// Range calls fn for every entry in pool order, with its index (for
// [Table.KeyOf]), expired ones included (compare Expires with the current
// time to tell them apart), until fn returns false. fn must not insert,
// delete or expire entries. Range
// visits the whole table at once: it is for tests and small tables; the
// control plane should page with [Table.Page].
func (t *Table) Range(fn func(idx int32, e *Entry) bool) {
	for p := uint32(0); p < t.high; p++ {
		if t.used[p/64]&(1<<(p%64)) != 0 && !fn(int32(p), &t.entries[p]) {
			return
		}
	}
}

// Page copies live entries (Expires > now) with their keys into out, in
// pool order, starting at pool index from (0 to begin a listing). It
// returns how many it copied and the index to continue from, or next = -1
// when the listing is complete. It inspects at most len(out)*8 entries per
// call, so a worker can serve a listing in bounded slices between batches.
// Entries never move, so a connection that lives through the whole listing is
// listed exactly once; one created meanwhile may be missed.
func (t *Table) Page(from int, now int64, out []Record) (n, next int) {
	if from < 0 || from >= int(t.high) {
		return 0, -1
	}
	end := min(int(t.high), from+max(len(out), 1)*8)
	p := from
	for ; p < end && n < len(out); p++ {
		if t.used[p/64]&(1<<(p%64)) != 0 && t.entries[p].Expires > now {
			t.record(uint32(p), &out[n])
			n++
		}
	}
	if p >= int(t.high) {
		return n, -1
	}
	return n, p
}
