package fullnat

import "math/bits"

// A port set is a three-level bitmap over the indexes 0..n-1 of one
// worker's port slice (n ≤ 65536): leaf bit i is set when index i is free,
// mid bit j when leaf word j has a set bit, top bit k when mid word k has
// one. Finding a free index at or after a cursor therefore looks at one
// leaf word, one mid word and the top word, then descends through at most
// two more words: constant time, no scan.
//
// The words of every set live in the Pool's flat slices; these helpers
// take the set's words as slices of them.

// maxIndexes is the largest slice: 64 × 64 × 64 bits would be 262144; 16
// mid words (1024 leaf words) cover the 65536 ports there are.
const (
	maxLeafWords = 1024
	maxMidWords  = maxLeafWords / 64
)

// fillSet marks the indexes 0..n-1 free.
func fillSet(top *uint64, mid, leaf []uint64, n int) {
	clear(leaf)
	clear(mid)
	*top = 0
	for i := 0; i < n/64; i++ {
		leaf[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		leaf[n/64] = 1<<r - 1
	}
	for w := range leaf {
		if leaf[w] != 0 {
			mid[w/64] |= 1 << (w % 64)
		}
	}
	for m := range mid {
		if mid[m] != 0 {
			*top |= 1 << m
		}
	}
}

// nextFree returns the first free index at or after c, wrapping around to
// 0, or -1 when the set is empty. c must be below 64 × len(leaf).
func nextFree(top uint64, mid, leaf []uint64, c uint32) int {
	if i := nextFreeFrom(top, mid, leaf, c); i >= 0 {
		return i
	}
	return nextFreeFrom(top, mid, leaf, 0)
}

func nextFreeFrom(top uint64, mid, leaf []uint64, c uint32) int {
	w := c >> 6
	if m := leaf[w] & (^uint64(0) << (c & 63)); m != 0 {
		return int(w<<6) + bits.TrailingZeros64(m)
	}
	mw := w >> 6
	// Two shifts: a shift by 64 yields 0 in Go, which is what w&63 == 63
	// needs.
	if m := mid[mw] & (^uint64(0) << (w & 63) << 1); m != 0 {
		lw := int(mw<<6) + bits.TrailingZeros64(m)
		return lw<<6 + bits.TrailingZeros64(leaf[lw])
	}
	if m := top & (^uint64(0) << mw << 1); m != 0 {
		mw2 := bits.TrailingZeros64(m)
		lw := mw2<<6 + bits.TrailingZeros64(mid[mw2])
		return lw<<6 + bits.TrailingZeros64(leaf[lw])
	}
	return -1
}

// take marks index i in use; it must be free.
func take(top *uint64, mid, leaf []uint64, i int) {
	w := i >> 6
	leaf[w] &^= 1 << (i & 63)
	if leaf[w] == 0 {
		mw := w >> 6
		mid[mw] &^= 1 << (w & 63)
		if mid[mw] == 0 {
			*top &^= 1 << mw
		}
	}
}

// put marks index i free and reports whether it was in use.
func put(top *uint64, mid, leaf []uint64, i int) bool {
	w := i >> 6
	bit := uint64(1) << (i & 63)
	if leaf[w]&bit != 0 {
		return false
	}
	leaf[w] |= bit
	mid[w>>6] |= 1 << (w & 63)
	*top |= 1 << (w >> 6)
	return true
}
