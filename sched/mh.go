package sched

import (
	"errors"
	"fmt"
	"math/bits"
)

func init() {
	Register("mh", NewMH)
}

// maglevPrimes are the table sizes IPVS offers, for
// CONFIG_IP_VS_MH_TAB_INDEX 8 … 17.
var maglevPrimes = [...]int{251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071}

// MaglevDefaultSize is the size of the kernel's Maglev table with the
// default CONFIG_IP_VS_MH_TAB_INDEX of 12.
const MaglevDefaultSize = 4093

// ErrMaglevSize is returned for a Maglev table size IPVS does not offer.
var ErrMaglevSize = errors.New("maglev table size must be one of 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071")

// The SipHash keys ip_vs_mh.c uses for the offset (hash1, also the lookup
// hash) and the skip (hash2) of each destination's permutation.
var (
	mhKey1 = sipKey{2654435761, 2654435761}
	mhKey2 = sipKey{2654446892, 2654446892}
)

// maglevBits returns IP_VS_MH_TAB_BITS for a table size (the Kconfig
// index halved), or -1 for a size IPVS does not offer.
func maglevBits(size int) int {
	for i, p := range maglevPrimes {
		if p == size {
			return (8 + i) / 2
		}
	}
	return -1
}

// MaglevTable builds the Maglev lookup table IPVS's mh scheduler builds for
// dests (ip_vs_mh_permutate and ip_vs_mh_populate): entry j is the index in
// dests of the destination that owns slot j, or -1 when no destination in
// service has a positive weight. A destination's share is proportional to
// its weight (its LastWeight while quiesced) divided by the gcd of all
// weights, scaled down by a shift when the largest quotient does not fit
// in the table's bits. Destinations not in service take no slots. With
// more destinations than slots, the later ones get none.
func MaglevTable(dests []Dest, size int) ([]int32, error) {
	nbits := maglevBits(size)
	if nbits < 0 {
		return nil, fmt.Errorf("invalid maglev table size %d: %w", size, ErrMaglevSize)
	}
	table := make([]int32, size)
	fillMaglev(table, dests, nbits)
	return table, nil
}

// mhWeight is the weight the table is built with: the kernel's
// last_weight, which equals the weight unless the weight is 0.
func mhWeight(d *Dest) int32 {
	if d.Weight != 0 {
		return d.Weight
	}
	return d.LastWeight
}

// mhSetup is one destination's permutation state (ip_vs_mh_dest_setup).
type mhSetup struct {
	dest  int32
	perm  uint32 // next preferred slot
	skip  uint32
	turns int32 // slots taken per round
}

func fillMaglev(table []int32, dests []Dest, nbits int) {
	for i := range table {
		table[i] = -1
	}
	var g, maxW int32
	for i := range dests {
		d := &dests[i]
		if !d.present() {
			continue
		}
		if w := mhWeight(d); w > 0 {
			if g > 0 {
				g = gcd(w, g)
			} else {
				g = w
			}
			maxW = max(maxW, w)
		}
	}
	if g < 1 {
		return
	}
	shift := max(bits.Len32(uint32(maxW/g))-nbits, 0)
	size := uint32(len(table))
	setups := make([]mhSetup, 0, len(dests))
	for i := range dests {
		d := &dests[i]
		if !d.present() {
			continue
		}
		v := uint32(d.Port) + fold(&d.Addr)
		ds := mhSetup{
			dest: int32(i),
			perm: hsiphash32(v, mhKey1) % size,
			skip: hsiphash32(v, mhKey2)%(size-1) + 1,
		}
		if w := mhWeight(d); w > 0 {
			ds.turns = max((w/g)>>shift, 1)
		}
		setups = append(setups, ds)
	}
	taken := make([]bool, size)
	for n := uint32(0); ; {
		for j := range setups {
			ds := &setups[j]
			for range ds.turns {
				for taken[ds.perm] {
					if ds.perm += ds.skip; ds.perm >= size {
						ds.perm -= size
					}
				}
				taken[ds.perm] = true
				table[ds.perm] = ds.dest
				if n++; n == size {
					return
				}
			}
		}
	}
}

// maglev is ip_vs_mh.c: Maglev consistent hashing of the source address
// (and port with mh-port) into a prime-sized lookup table.
type maglev struct {
	table []int32
	flags Flags
}

// NewMH returns the Maglev hashing scheduler ("mh") with the kernel's
// default table size, [MaglevDefaultSize]. Flags: [MHFallback] picks
// another destination when the hashed one is unavailable, [MHPort] hashes
// the source port too.
func NewMH(dests []Dest, flags Flags) Scheduler {
	s, err := NewMaglev(dests, flags, MaglevDefaultSize)
	if err != nil {
		panic(err) // the default size is valid
	}
	return s
}

// NewMaglev is [NewMH] with another of the table sizes IPVS offers (see
// [ErrMaglevSize]).
func NewMaglev(dests []Dest, flags Flags, size int) (Scheduler, error) {
	t, err := MaglevTable(dests, size)
	if err != nil {
		return nil, err
	}
	return &maglev{table: t, flags: flags}, nil
}

// Pick implements [Scheduler] (ip_vs_mh_get and ip_vs_mh_get_fallback).
// The fallback rehashes the key with offsets h, h+1, … (mod size), where h
// is the original slot, until it finds a usable destination.
func (s *maglev) Pick(dests []Dest, k *Key) int {
	if k == nil {
		return -1
	}
	size := uint32(len(s.table))
	v := hashPort(k, s.flags) + fold(&k.Src)
	h := hsiphash32(v, mhKey1) % size
	i := s.table[h]
	if i < 0 || int(i) >= len(dests) {
		return -1
	}
	if dests[i].usable() {
		return int(i)
	}
	if s.flags&MHFallback == 0 {
		return -1
	}
	for off := uint32(0); off < size; off++ {
		roff := (off + h) % size
		i = s.table[hsiphash32(roff+v, mhKey1)%size]
		if i < 0 || int(i) >= len(dests) {
			return -1
		}
		if dests[i].usable() {
			return int(i)
		}
	}
	return -1
}
