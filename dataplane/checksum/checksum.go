package checksum

import (
	"encoding/binary"
	"math/bits"
)

// Size is the size in bytes of a checksum field.
const Size = 2

// Checksum returns the ones-complement sum of buf, added to initial
// (RFC 1071). The sum is not complemented. An odd trailing byte is summed
// as if padded with a zero byte, so a buffer must be split only at even
// offsets when its parts are summed separately and combined.
//
// The sum is computed in 64-bit words with end-around carry, which gives
// the same result as the 16-bit definition because ones-complement
// addition is independent of the word size and byte order it is done in
// (RFC 1071 §2). The result is 0 only when initial and every byte are 0.
func Checksum(buf []byte, initial uint16) uint16 {
	s := uint64(initial)
	if len(buf) >= 32 {
		var c uint64
		for len(buf) >= 32 {
			s, c = bits.Add64(s, binary.BigEndian.Uint64(buf[0:8]), c)
			s, c = bits.Add64(s, binary.BigEndian.Uint64(buf[8:16]), c)
			s, c = bits.Add64(s, binary.BigEndian.Uint64(buf[16:24]), c)
			s, c = bits.Add64(s, binary.BigEndian.Uint64(buf[24:32]), c)
			buf = buf[32:]
		}
		s, c = bits.Add64(s, 0, c)
		s += c                   // cannot overflow: if the add above carried, s is 0
		s = s>>32 + s&0xffffffff // ≤ 33 bits: room for the tail below
	}
	// At most 7 words of 32 bits and 3 bytes remain: no overflow.
	for len(buf) >= 4 {
		s += uint64(binary.BigEndian.Uint32(buf))
		buf = buf[4:]
	}
	if len(buf) >= 2 {
		s += uint64(binary.BigEndian.Uint16(buf))
		buf = buf[2:]
	}
	if len(buf) == 1 {
		s += uint64(buf[0]) << 8
	}
	return fold64(s)
}

// fold64 reduces a 64-bit ones-complement sum to 16 bits.
func fold64(s uint64) uint16 {
	s = s>>32 + s&0xffffffff // ≤ 33 bits
	s = s>>32 + s&0xffffffff // ≤ 32 bits
	s = s>>16 + s&0xffff     // ≤ 17 bits
	s = s>>16 + s&0xffff     // ≤ 16 bits
	return uint16(s)
}

// Combine returns the ones-complement sum of a and b (RFC 1071 §4.1's
// end-around carry). It is 0 only when both a and b are 0.
func Combine(a, b uint16) uint16 {
	v := uint32(a) + uint32(b)
	return uint16(v + v>>16)
}
