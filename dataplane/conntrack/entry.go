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

// Entry is one connection. It holds no pointers, so the garbage
// collector never scans the table, and it is 48 bytes ([EntrySize]).
//
// The connection's key is stored packed, out of the caller's reach: the
// last four bytes of each address, the ports, the protocol and a family
// bit inline, and for a key that is not IPv4 on both sides (IPv6, or an
// IPv6 firewall-mark template) the full addresses in a side array of the
// table by pool index, which IPv4 connections never touch. [Entry.Proto],
// [Entry.CPort] and [Entry.VPort] read the inline part; [Table.KeyOf]
// rebuilds the whole key.
//
// The table reads only the key and Expires of an entry in use; every
// exported field but Expires belongs to the caller, which fills them after
// [Table.Insert] (a new entry has them zero). The contents of a removed
// entry are unspecified.
type Entry struct {
	// Expires is the deadline in the caller's monotonic clock, in
	// nanoseconds: the entry is live while now < Expires.
	Expires int64
	// addr is the packed key's addresses: the last four bytes of the
	// client's in the low half, of the virtual one in the high half.
	addr uint64
	// tuple is the packed key's ports, protocol and family: CPort in bits
	// 0-15, VPort 16-31, Proto 32-39, bit 40 set when the full addresses
	// are in the side array (the key is not IPv4-mapped on both sides).
	tuple uint64
	// Dest is the destination (real server) slot. Opaque to the table.
	Dest uint32
	// rec is 1 + the index of the entry's reply record, 0 for none
	// (reply.go).
	rec uint32
	// Sync is the caller's per-connection word for connection
	// synchronisation (the engine's inbound packet count and the state
	// last sent). Opaque to the table; zero in a new entry.
	Sync uint32
	// Service is the service slot (snapshot.MaxServices is 4096). Opaque
	// to the table.
	Service uint16
	// LPort and LAddr are reserved for FULLNAT (local port and local
	// address slot; snapshot.MaxLocalAddrs is 256). Opaque to the table.
	LPort uint16
	LAddr uint16
	// State is the protocol state.
	State State
	// Flags are the caller's connection flags. Opaque to the table.
	Flags uint8
	_     [4]byte
}

// EntrySize is the size of an [Entry] in bytes.
const EntrySize = 48

// Proto returns the IP protocol of the entry's key.
func (e *Entry) Proto() uint8 { return uint8(e.tuple >> 32) }

// CPort returns the client port of the entry's key.
func (e *Entry) CPort() uint16 { return uint16(e.tuple) }

// VPort returns the virtual port of the entry's key.
func (e *Entry) VPort() uint16 { return uint16(e.tuple >> 16) }

// Record is a connection copied out of the table: its full key and its
// entry. [Table.ExpireInto], [Table.InsertReclaim] and [Table.Page] fill
// records, since an entry's key may live partly in the table.
type Record struct {
	Key   Key
	Entry Entry
}

// wideBit is the bit of Entry.tuple that says the key's addresses are in
// the side array.
const wideBit = 1 << 40

// v4Mapped is the middle word of an IPv4-mapped address (bytes 8-11,
// 00 00 ff ff) read little-endian.
const v4Mapped = 0xffff0000

// packed is a key as the table stores it: the inline words of an Entry
// and the four address words for the side array.
type packed struct {
	addr, tuple uint64
	wide        [4]uint64 // client 0-7, 8-15, virtual 0-7, 8-15
}

// words returns k's five 64-bit words, as the hash folds them and the
// packed form stores them: the client's and the virtual address's halves
// (little-endian) and the ports and protocol.
func (k *Key) words() (c0, c1, v0, v1, ports uint64) {
	le := binary.LittleEndian
	c0, c1 = le.Uint64(k.Client[0:8]), le.Uint64(k.Client[8:16])
	v0, v1 = le.Uint64(k.Virtual[0:8]), le.Uint64(k.Virtual[8:16])
	return c0, c1, v0, v1, uint64(k.CPort) | uint64(k.VPort)<<16 | uint64(k.Proto)<<32
}

// packWords fills p from a key's words (Key.words).
func packWords(p *packed, c0, c1, v0, v1, ports uint64) {
	p.addr = c1>>32 | v1>>32<<32
	p.tuple = ports
	if c0|v0 != 0 || uint32(c1) != v4Mapped || uint32(v1) != v4Mapped {
		p.tuple |= wideBit
		p.wide = [4]uint64{c0, c1, v0, v1}
	}
}

// pack fills p from k.
func pack(k *Key, p *packed) {
	c0, c1, v0, v1, ports := k.words()
	packWords(p, c0, c1, v0, v1, ports)
}

// sumPack returns the hash of k, as [hasher.sum], and fills p from k,
// reading the key's words once for both.
func (h *hasher) sumPack(k *Key, p *packed) uint64 {
	c0, c1, v0, v1, ports := k.words()
	packWords(p, c0, c1, v0, v1, ports)
	return h.fold(c0, c1, v0, v1, ports)
}

// unpack rebuilds the key of inline words addr and tuple, taking the
// addresses from wide when the tuple says so.
func unpack(addr, tuple uint64, wide *[4]uint64, k *Key) {
	le := binary.LittleEndian
	*k = Key{CPort: uint16(tuple), VPort: uint16(tuple >> 16), Proto: uint8(tuple >> 32)}
	if tuple&wideBit != 0 {
		le.PutUint64(k.Client[0:8], wide[0])
		le.PutUint64(k.Client[8:16], wide[1])
		le.PutUint64(k.Virtual[0:8], wide[2])
		le.PutUint64(k.Virtual[8:16], wide[3])
		return
	}
	le.PutUint64(k.Client[8:16], v4Mapped|addr<<32)
	le.PutUint64(k.Virtual[8:16], v4Mapped|addr>>32<<32)
}

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
func (h *hasher) sum(k *Key) uint64 { return h.fold(k.words()) }

// fold hashes a key's words (Key.words).
func (h *hasher) fold(c0, c1, v0, v1, ports uint64) uint64 {
	return mix(mix(c0^h.k0, c1^h.k1)^ports^h.k4, mix(v0^h.k2, v1^h.k3)^h.k0)
}
