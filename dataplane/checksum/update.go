package checksum

import "encoding/binary"

// Update returns the sum xsum after a 16-bit word covered by it changed
// from old to new. Both xsum and the result are uncomplemented sums; for
// a checksum field HC, use ^Update(^HC, old, new), which is RFC 1624
// equation 3, HC' = ~(~HC + ~m + m').
//
// Equation 3 (and not equation 2, HC' = HC - ~m - m') is the one to use:
// computed with end-around-carry additions of the complement of old, it
// never produces a sum of +0 (0x0000) from data that is not all zero, so
// it yields exactly the value a full recomputation would. The word must
// be 2-byte aligned relative to the start of the summed data, as every
// header field updated this way is.
//
// Checksum fields that use 0 to mean "no checksum" (UDP) need a rule of
// their own: see the header package.
func Update(xsum, old, new uint16) uint16 {
	v := uint32(xsum) + uint32(^old) + uint32(new) // ≤ 18 bits
	v = v>>16 + v&0xffff
	return uint16(v + v>>16)
}

// Update32 is [Update] for a 32-bit field, 2-byte aligned, such as a TCP
// sequence number.
func Update32(xsum uint16, old, new uint32) uint16 {
	return fold64(uint64(xsum) + uint64(^old) + uint64(new))
}

// UpdateAddress returns the sum xsum after a 2-byte-aligned field changed
// from old to new: an IPv4 (4-byte) or IPv6 (16-byte) address, in the IP
// header or the TCP/UDP pseudo-header. old and new must have the same even
// length of at most 64 bytes; the result is undefined otherwise. Like
// [Update], it works on uncomplemented sums and does not allocate.
func UpdateAddress(xsum uint16, old, new []byte) uint16 {
	// Summing the complement of each 32-bit word of old is summing the
	// complement of each of its 16-bit words; 64-bit accumulation of at
	// most 32 such terms cannot overflow.
	s := uint64(xsum)
	for len(old) >= 4 && len(new) >= 4 {
		s += uint64(^binary.BigEndian.Uint32(old)) + uint64(binary.BigEndian.Uint32(new))
		old, new = old[4:], new[4:]
	}
	if len(old) >= 2 && len(new) >= 2 {
		s += uint64(^binary.BigEndian.Uint16(old)) + uint64(binary.BigEndian.Uint16(new))
	}
	return fold64(s)
}
