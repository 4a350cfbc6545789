package sched

import (
	"encoding/binary"
	"testing"
)

// sipHashRef is a plain SipHash-c-d over a byte string, written from the
// SipHash paper, used to check the kernel-shaped hsiphash32.
func sipHashRef(c, d int, k0, k1 uint64, msg []byte) uint64 {
	v0, v1, v2, v3 := uint64(sipConst0)^k0, uint64(sipConst1)^k1, uint64(sipConst2)^k0, uint64(sipConst3)^k1
	n := len(msg) / 8 * 8
	for i := 0; i < n; i += 8 {
		m := binary.LittleEndian.Uint64(msg[i:])
		v3 ^= m
		for range c {
			v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		}
		v0 ^= m
	}
	var tail [8]byte
	copy(tail[:], msg[n:])
	b := uint64(len(msg))<<56 | binary.LittleEndian.Uint64(tail[:])
	v3 ^= b
	for range c {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	v0 ^= b
	v2 ^= 0xff
	for range d {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func TestSipRoundMatchesSipHash24Vectors(t *testing.T) {
	// Reference vectors from the SipHash paper (key 00 01 … 0f).
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got := sipHashRef(2, 4, k0, k1, nil); got != 0x726fdb47dd0e0e31 {
		t.Errorf("SipHash-2-4(empty) = %#x", got)
	}
	if got := sipHashRef(2, 4, k0, k1, msg); got != 0xa129ca6149be45e5 {
		t.Errorf("SipHash-2-4(00…0e) = %#x", got)
	}
}

func TestHsiphash32(t *testing.T) {
	// Known answers of the kernel's 64-bit hsiphash (SipHash-1-3 truncated
	// to 32 bits) of a u32 under ip_vs_mh.c's two keys, computed with an
	// independent implementation.
	for _, tc := range []struct {
		v            uint32
		want1, want2 uint32
	}{
		{0, 0x1d5a77c2, 0xf882433f},
		{0xc6120759, 0x2f3282c1, 0xa3ecf552}, // 198.18.7.9 + port 80
		{12345, 0x46e59940, 0xe2a4e3fc},
	} {
		if got := hsiphash32(tc.v, mhKey1); got != tc.want1 {
			t.Errorf("hsiphash32(%#x, hash1) = %#x, want %#x", tc.v, got, tc.want1)
		}
		if got := hsiphash32(tc.v, mhKey2); got != tc.want2 {
			t.Errorf("hsiphash32(%#x, hash2) = %#x, want %#x", tc.v, got, tc.want2)
		}
		var msg [4]byte
		binary.LittleEndian.PutUint32(msg[:], tc.v)
		if got, ref := hsiphash32(tc.v, mhKey1), uint32(sipHashRef(1, 3, mhKey1.k0, mhKey1.k1, msg[:])); got != ref {
			t.Errorf("hsiphash32(%#x) = %#x, SipHash-1-3 reference %#x", tc.v, got, ref)
		}
	}
}

func TestHash32AndFold(t *testing.T) {
	a := v4(198, 18, 7, 9)
	if got := fold(&a); got != 0xc6120709 {
		t.Errorf("fold(198.18.7.9) = %#x", got)
	}
	v6 := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1} // 2001:db8::1
	if got := fold(&v6); got != 0x20010db9 {
		t.Errorf("fold(2001:db8::1) = %#x, want the XOR of its words 0x20010db9", got)
	}
	// Known answers of hash_32 (x * 0x61C88647 >> (32-bits)).
	for _, tc := range []struct {
		v    uint32
		bits uint
		want uint32
	}{
		{0xc6120709, 8, 70},
		{0xc6120709 + 40000, 8, 234},
		{0x20010db9, 8, 63},
		{0xc6120709, 10, 282},
	} {
		if got := hash32(tc.v, tc.bits); got != tc.want {
			t.Errorf("hash32(%#x, %d) = %d, want %d", tc.v, tc.bits, got, tc.want)
		}
	}
}
