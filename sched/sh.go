package sched

func init() {
	Register("sh", NewSH)
	Register("dh", NewDH)
}

// Bucket counts of the sh and dh tables (CONFIG_IP_VS_SH_TAB_BITS and
// CONFIG_IP_VS_DH_TAB_BITS default to 8).
const (
	shTabBits = 8
	shTabSize = 1 << shTabBits
	dhTabBits = 8
	dhTabSize = 1 << dhTabBits
)

// sourceHash is ip_vs_sh.c: a 256-bucket table, tiled with the
// destinations in list order, each repeated weight times, indexed by a
// hash of the source address (and port with sh-port).
type sourceHash struct {
	table [shTabSize]int32 // destination index, -1 when there is none
	flags Flags
}

// NewSH returns the source-hashing scheduler ("sh"). Flags: [SHFallback]
// picks another destination when the hashed one is unavailable, [SHPort]
// hashes the source port too.
func NewSH(dests []Dest, flags Flags) Scheduler {
	s := &sourceHash{flags: flags}
	fillSH(&s.table, dests)
	return s
}

// fillSH is ip_vs_sh_reassign: bucket i gets the current destination,
// which advances (wrapping) after it has filled weight buckets; a
// destination of weight 0 or less still gets one bucket.
func fillSH(t *[shTabSize]int32, dests []Dest) {
	p := nextPresent(dests, -1)
	count := int32(0)
	for i := range t {
		if p < 0 {
			t[i] = -1
			continue
		}
		t[i] = int32(p)
		if count++; count >= dests[p].Weight {
			p = nextPresent(dests, p)
			count = 0
		}
	}
}

// nextPresent returns the index of the first destination in service after
// i, wrapping around, or -1 if there is none.
func nextPresent(dests []Dest, i int) int {
	n := len(dests)
	for range n {
		if i++; i >= n {
			i = 0
		}
		if dests[i].present() {
			return i
		}
	}
	return -1
}

// Pick implements [Scheduler] (ip_vs_sh_get and ip_vs_sh_get_fallback).
// The fallback probes bucket (offset + 2*h) mod 256 for offset 0…255,
// where h is the original bucket: the kernel adds the rotated offset, which
// already contains h, to the hash once more.
func (s *sourceHash) Pick(dests []Dest, k *Key) int {
	if k == nil {
		return -1
	}
	h := hash32(hashPort(k, s.flags)+fold(&k.Src), shTabBits)
	i := s.table[h]
	if i < 0 || int(i) >= len(dests) {
		return -1
	}
	if dests[i].usable() {
		return int(i)
	}
	if s.flags&SHFallback == 0 {
		return -1
	}
	for off := uint32(0); off < shTabSize; off++ {
		roff := (off + h) % shTabSize
		i = s.table[(roff+h)&(shTabSize-1)]
		if i < 0 || int(i) >= len(dests) {
			return -1
		}
		if dests[i].usable() {
			return int(i)
		}
	}
	return -1
}

// destHash is ip_vs_dh.c: a 256-bucket table filled round-robin with the
// destinations (weights ignored), indexed by a hash of the destination
// address. There is no fallback.
type destHash struct {
	table [dhTabSize]int32 // destination index, -1 when there is none
}

// NewDH returns the destination-hashing scheduler ("dh"). It ignores
// flags.
func NewDH(dests []Dest, _ Flags) Scheduler {
	s := &destHash{}
	p := nextPresent(dests, -1)
	for i := range s.table {
		s.table[i] = int32(p)
		if p >= 0 {
			p = nextPresent(dests, p)
		}
	}
	return s
}

// Pick implements [Scheduler].
func (s *destHash) Pick(dests []Dest, k *Key) int {
	if k == nil {
		return -1
	}
	i := s.table[hash32(fold(&k.Dst), dhTabBits)]
	if i < 0 || int(i) >= len(dests) || !dests[i].usable() {
		return -1
	}
	return int(i)
}
