package conntrack

import "unsafe"

// cacheLine is the cache line size the prefetches assume (x86-64 and most
// arm64 cores).
const cacheLine = 64

// prefetchSlot starts loading the cache line of index slot s.
func prefetchSlot(s *uint64) { prefetch(uintptr(unsafe.Pointer(s))) }

// prefetchEntry starts loading entry e: the pool is an array of 48-byte
// entries, so half of them straddle two cache lines, and those get both.
func prefetchEntry(e *Entry) {
	a := uintptr(unsafe.Pointer(e))
	prefetch(a)
	if a%cacheLine > cacheLine-EntrySize {
		prefetch(a + EntrySize - 1)
	}
}

// prefetchRecord starts loading reply record r, both cache lines when
// its 54 bytes straddle two.
func prefetchRecord(r *Reply) {
	a := uintptr(unsafe.Pointer(r))
	prefetch(a)
	if a%cacheLine > cacheLine-replySize {
		prefetch(a + replySize - 1)
	}
}

// prefetchEntries starts loading every cache line of es.
func prefetchEntries(es []Entry) {
	if len(es) == 0 {
		return
	}
	a := uintptr(unsafe.Pointer(&es[0]))
	end := a + uintptr(len(es))*EntrySize
	a &^= cacheLine - 1
	prefetchLines(a, (end-a+cacheLine-1)/cacheLine)
}
