package testpkt

// ReferenceChecksum is the RFC 1071 Internet checksum of b (the complement
// of the ones'-complement sum of its 16-bit big-endian words, an odd last
// byte padded with zero) computed the slow way, one word at a time and
// independently of dataplane/checksum: what a test checks the code under
// test against. A buffer holding a correct checksum sums to 0.
func ReferenceChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
