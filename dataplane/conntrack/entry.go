package conntrack

import (
	"encoding/binary"
	"math/bits"
)

// Key identifies a connection by its client→virtual tuple. Addresses are
// 16 bytes; an IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d). Ports
// are in host order. The padding keeps the size fixed at 40 bytes and must
// stay zero (a zero-valued or literal Key has it zero).
type Key struct {
	Client  [16]byte
	Virtual [16]byte
	CPort   uint16
	VPort   uint16
	Proto   uint8
	_       [3]byte
}

// Entry is one connection. It holds no pointers, so the garbage collector
// never scans the table, and it is 64 bytes, one cache line.
//
// The table reads only Key and Expires of an entry in use; every other
// field belongs to the caller, which fills them after [Table.Insert]. The
// contents of a removed entry are unspecified.
type Entry struct {
	Key Key
	// Dest is the destination (real server) slot. Opaque to the table.
	Dest uint32
	// Service is the service slot. Opaque to the table.
	Service uint32
	// Expires is the deadline in the caller's monotonic clock, in
	// nanoseconds: the entry is live while now < Expires.
	Expires int64
	// State is the protocol state.
	State State
	// Flags are the caller's connection flags. Opaque to the table.
	Flags uint8
	// LPort and LAddr are reserved for FULLNAT (local port and local
	// address index). Opaque to the table.
	LPort uint16
	LAddr uint32
}

// EntrySize is the size of an [Entry] in bytes.
const EntrySize = 64

// hasher is a seeded 64-bit hash of a [Key]: a wyhash-style fold of the
// key's five 64-bit words through 64×64→128-bit multiplications. It is
// fast and keyed, not cryptographic; the seed keeps remote clients from
// predicting which keys collide.
type hasher struct {
	k0, k1, k2, k3, k4 uint64
}

// splitmix64 advances *x and returns the next value of the SplitMix64
// sequence; it expands one seed into the hasher's secrets.
func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func newHasher(seed uint64) hasher {
	s := seed
	return hasher{
		k0: splitmix64(&s) | 1, k1: splitmix64(&s) | 1, k2: splitmix64(&s) | 1,
		k3: splitmix64(&s) | 1, k4: splitmix64(&s) | 1,
	}
}

// mix folds the 128-bit product of a and b into 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sum returns the hash of k. It does not allocate.
func (h *hasher) sum(k *Key) uint64 {
	c0 := binary.LittleEndian.Uint64(k.Client[0:8])
	c1 := binary.LittleEndian.Uint64(k.Client[8:16])
	v0 := binary.LittleEndian.Uint64(k.Virtual[0:8])
	v1 := binary.LittleEndian.Uint64(k.Virtual[8:16])
	p := uint64(k.CPort) | uint64(k.VPort)<<16 | uint64(k.Proto)<<32
	a := mix(c0^h.k0, c1^h.k1)
	b := mix(v0^h.k2, v1^h.k3)
	return mix(a^p^h.k4, b^h.k0)
}

// equal reports whether a and b are the same key, word by word (blank
// padding is ignored, as == ignores it).
func (a *Key) equal(b *Key) bool {
	le := binary.LittleEndian
	x := le.Uint64(a.Client[0:8]) ^ le.Uint64(b.Client[0:8])
	x |= le.Uint64(a.Client[8:16]) ^ le.Uint64(b.Client[8:16])
	x |= le.Uint64(a.Virtual[0:8]) ^ le.Uint64(b.Virtual[0:8])
	x |= le.Uint64(a.Virtual[8:16]) ^ le.Uint64(b.Virtual[8:16])
	p := uint64(a.CPort) | uint64(a.VPort)<<16 | uint64(a.Proto)<<32
	q := uint64(b.CPort) | uint64(b.VPort)<<16 | uint64(b.Proto)<<32
	return x|(p^q) == 0
}
