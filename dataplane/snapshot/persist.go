package snapshot

// Persistent reports whether the service is persistent (-p).
func (s *Service) Persistent() bool { return s.Flags&SvcPersistent != 0 }

// MaskClient writes into dst the client address src masked with the
// service's persistence netmask: for an IPv4 service (src ::ffff:a.b.c.d)
// the IPv4 mask applies to the last four bytes, for an IPv6 service the
// prefix length to all sixteen. This is the client part of a persistence
// template's key and what persistent services own flows by. Hot path: no
// allocations.
func (s *Service) MaskClient(dst, src *[16]byte) {
	*dst = *src
	if s.Family == 4 {
		m := s.Netmask
		dst[12] &= byte(m >> 24)
		dst[13] &= byte(m >> 16)
		dst[14] &= byte(m >> 8)
		dst[15] &= byte(m)
		return
	}
	bits := int(s.Netmask)
	if bits <= 0 || bits > 128 {
		bits = 128
	}
	for i := bits / 8; i < 16; i++ {
		keep := 0
		if i == bits/8 {
			keep = bits % 8
		}
		dst[i] &= byte(uint16(0xff00) >> keep)
	}
}
