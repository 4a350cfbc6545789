package sched

import (
	"encoding/binary"
	"math/bits"
)

// goldenRatio32 is the kernel's GOLDEN_RATIO_32 (include/linux/hash.h).
const goldenRatio32 = 0x61C88647

// hash32 is the kernel's hash_32: multiply by the golden ratio and keep
// the top nbits bits.
func hash32(v uint32, nbits uint) uint32 {
	return (v * goldenRatio32) >> (32 - nbits)
}

// fold is the kernel schedulers' addr_fold in host order: the IPv4
// address for an IPv4-mapped address (::ffff:a.b.c.d), otherwise the XOR
// of the four 32-bit words of the IPv6 address (ntohl of the XOR of the
// network-order words, which is the same thing).
func fold(a *[16]byte) uint32 {
	if isV4Mapped(a) {
		return binary.BigEndian.Uint32(a[12:])
	}
	return binary.BigEndian.Uint32(a[0:]) ^ binary.BigEndian.Uint32(a[4:]) ^
		binary.BigEndian.Uint32(a[8:]) ^ binary.BigEndian.Uint32(a[12:])
}

// isV4Mapped reports whether a is ::ffff:a.b.c.d.
func isV4Mapped(a *[16]byte) bool {
	return binary.BigEndian.Uint64(a[0:]) == 0 && binary.BigEndian.Uint32(a[8:]) == 0xffff
}

// hashPort returns the port the sh-port and mh-port flags add to the
// hash: the source port of TCP, UDP and SCTP packets, 0 otherwise
// (ip_vs_sh_get_port).
func hashPort(k *Key, flags Flags) uint32 {
	if flags&Flag2 == 0 {
		return 0
	}
	switch k.Proto {
	case protoTCP, protoUDP, protoSCTP:
		return uint32(k.SrcPort)
	}
	return 0
}

// SipHash initialisation constants ("somepseudorandomlygeneratedbytes").
const (
	sipConst0 = 0x736f6d6570736575
	sipConst1 = 0x646f72616e646f6d
	sipConst2 = 0x6c7967656e657261
	sipConst3 = 0x7465646279746573
)

// sipKey is a 128-bit SipHash key as two little-endian words (the
// kernel's hsiphash_key_t on 64-bit machines).
type sipKey struct{ k0, k1 uint64 }

// sipRound is one SipRound (SIPHASH_PERMUTATION).
func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// hsiphash32 is the kernel's hsiphash() of one 4-byte value on a 64-bit
// little-endian machine, where HalfSipHash is SipHash-1-3 truncated to 32
// bits (lib/siphash.c). ip_vs_mh.c hashes a u32 this way.
func hsiphash32(v uint32, key sipKey) uint32 {
	v0 := uint64(sipConst0) ^ key.k0
	v1 := uint64(sipConst1) ^ key.k1
	v2 := uint64(sipConst2) ^ key.k0
	v3 := uint64(sipConst3) ^ key.k1
	b := uint64(4)<<56 | uint64(v)
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return uint32(v0 ^ v1 ^ v2 ^ v3)
}
