package sched

import "time"

// The locality table shared by lblc and lblcr (ip_vs_lblc.c, ip_vs_lblcr.c):
// 1024 hash chains of entries keyed by a destination address, at most
// 16×1024 (+1) entries, aged by a garbage collector that the kernel runs
// from a 60-second timer. There is no timer here: the collector runs in
// the first Pick after each interval, reading the scheduler's clock.
const (
	locTabBits    = 10
	locTabSize    = 1 << locTabBits
	locMaxEntries = locTabSize * 16 // tbl->max_size

	locCheckInterval = 60 * time.Second // CHECK_EXPIRE_INTERVAL
	locEntryTimeout  = 6 * time.Minute  // ENTRY_TIMEOUT
	locFullCheck     = 30               // COUNT_FOR_FULL_EXPIRATION

	// LocalityExpiration is the default of the lblc_expiration and
	// lblcr_expiration sysctls: a cache entry unused this long is removed
	// by the full check, and an lblcr set unchanged this long sheds its
	// most loaded member.
	LocalityExpiration = 24 * time.Hour
)

// Clock returns a monotonic time in nanoseconds. lblc and lblcr read it on
// each Pick to age their caches.
type Clock func() int64

var clockBase = time.Now()

// monotonic is the default [Clock].
func monotonic() int64 { return int64(time.Since(clockBase)) }

// locEntry maps one destination address to a cached destination (lblc) or
// a set of them (lblcr). Entries are pointer-free and chained by index.
type locEntry struct {
	addr    [16]byte
	lastuse int64 // last lookup or creation
	lastmod int64 // lblcr: last change of the set
	next    int32 // next entry in the hash chain, or in the free list
	dest    int32 // lblc: destination index; lblcr: first set element
	size    int32 // lblcr: set size
}

// locTable is the hash table with its collector state.
type locTable struct {
	bucket    [locTabSize]int32
	ent       []locEntry // fixed capacity, never grown
	used      int32      // entries of ent handed out at least once
	free      int32      // free list head, -1 if empty
	entries   int        // live entries (tbl->entries)
	rover     int        // bucket where the last collection stopped
	counter   int        // collections since the last full check
	nextCheck int64
}

func (t *locTable) init(now int64) {
	for i := range t.bucket {
		t.bucket[i] = -1
	}
	// Capacity max_size+1: the kernel refuses a new entry only when
	// entries > max_size. Untouched pages of the array cost no memory.
	t.ent = make([]locEntry, locMaxEntries+1)
	t.free = -1
	t.counter = 1
	t.nextCheck = now + int64(locCheckInterval)
}

func locHash(a *[16]byte) uint32 { return hash32(fold(a), locTabBits) }

// get returns the entry for addr, or -1.
func (t *locTable) get(addr *[16]byte) int32 {
	for e := t.bucket[locHash(addr)]; e >= 0; e = t.ent[e].next {
		if t.ent[e].addr == *addr {
			return e
		}
	}
	return -1
}

// add inserts a new entry for addr at the head of its chain, or returns -1
// when the table is full (entries > max_size, as the kernel refuses).
func (t *locTable) add(addr *[16]byte, now int64) int32 {
	if t.entries > locMaxEntries {
		return -1
	}
	var e int32
	switch {
	case t.free >= 0:
		e = t.free
		t.free = t.ent[e].next
	case int(t.used) < len(t.ent):
		e = t.used
		t.used++
	default:
		return -1
	}
	h := locHash(addr)
	t.ent[e] = locEntry{addr: *addr, lastuse: now, lastmod: now, next: t.bucket[h], dest: -1}
	t.bucket[h] = e
	t.entries++
	return e
}

// sweep removes from bucket b the entries for which stale is true,
// releasing lblcr sets into sets when it is not nil; it returns how many
// it removed.
func (t *locTable) sweep(b int, now, maxAge int64, sets *setPool) int {
	n := 0
	prev := int32(-1)
	for e := t.bucket[b]; e >= 0; {
		next := t.ent[e].next
		if now-t.ent[e].lastuse >= maxAge {
			if prev < 0 {
				t.bucket[b] = next
			} else {
				t.ent[prev].next = next
			}
			if sets != nil {
				sets.releaseAll(t.ent[e].dest)
			}
			t.ent[e].next = t.free
			t.free = e
			t.entries--
			n++
		} else {
			prev = e
		}
		e = next
	}
	return n
}

// collect runs the kernel's periodic timer (ip_vs_lblc_check_expire) if
// an interval has passed: every 30th run, or when the table is not over
// its limit, a full check removes entries unused for expiration; over the
// limit it removes entries unused for 6 minutes, starting after the rover,
// until (entries-max)*4/3 (at most max/2) are gone.
func (t *locTable) collect(now, expiration int64, sets *setPool) {
	if now < t.nextCheck {
		return
	}
	t.nextCheck = now + int64(locCheckInterval)
	if t.counter%locFullCheck == 0 {
		j := t.rover
		for range locTabSize {
			j = (j + 1) & (locTabSize - 1)
			t.sweep(j, now, expiration, sets)
		}
		t.rover = j
		t.counter = 1
		return
	}
	if t.entries <= locMaxEntries {
		t.counter++
		return
	}
	goal := min((t.entries-locMaxEntries)*4/3, locMaxEntries/2)
	j := t.rover
	for range locTabSize {
		j = (j + 1) & (locTabSize - 1)
		goal -= t.sweep(j, now, int64(locEntryTimeout), sets)
		if goal <= 0 {
			break
		}
	}
	t.rover = j
}

// localityOverloaded is the lblc/lblcr is_overloaded: d has more active
// connections than its weight while some destination is below half of its
// own weight.
func localityOverloaded(dests []Dest, d *Dest) bool {
	if int64(d.ActiveConns) <= int64(d.Weight) {
		return false
	}
	for i := range dests {
		o := &dests[i]
		if o.present() && int64(o.ActiveConns)*2 < int64(o.Weight) {
			return true
		}
	}
	return false
}
