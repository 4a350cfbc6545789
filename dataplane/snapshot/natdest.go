package snapshot

// indexNATDests builds the index of [Snapshot.LookupNATDest]: every
// available MethodMasq destination of a live service, by (protocol,
// address, port). A destination of a port-0 service with port 0 answers
// from the port its client asked for, so it is indexed with port 0 and
// found by any port.
func (s *Snapshot) indexNATDests() {
	n := 0
	for i := range s.Dests {
		if s.natCandidate(&s.Dests[i]) {
			n++
		}
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	s.natIndex = make([]int32, size)
	for i := range s.natIndex {
		s.natIndex[i] = -1
	}
	s.natMask = uint32(size - 1)
	for i := range s.Dests {
		d := &s.Dests[i]
		if !s.natCandidate(d) {
			continue
		}
		proto := s.Services[d.Service].Proto
		if s.findNAT(proto, &d.Addr, d.Port) != nil {
			continue // the first one configured answers for both
		}
		h := svcHash(proto, &d.Addr, d.Port) & s.natMask
		for s.natIndex[h] >= 0 {
			h = (h + 1) & s.natMask
		}
		s.natIndex[h] = int32(i)
	}
}

func (s *Snapshot) natCandidate(d *Dest) bool {
	return d.Method == MethodMasq && d.Available && int(d.Service) < len(s.Services) &&
		s.Services[d.Service].Family != 0
}

// LookupNATDest finds the NAT real server a reply from (proto, addr,
// port) comes from: the destination with that address and port, else one
// with port 0 (of a port-0 service). It returns nil if there is none.
// When several services share one real server the first configured is
// returned; its service decides the reply's owner, so services that own
// flows differently (persistence) should not share NAT real servers. Hot
// path: no allocations.
func (s *Snapshot) LookupNATDest(proto uint8, addr *[16]byte, port uint16) *Dest {
	if d := s.findNAT(proto, addr, port); d != nil {
		return d
	}
	if port != 0 {
		return s.findNAT(proto, addr, 0)
	}
	return nil
}

func (s *Snapshot) findNAT(proto uint8, addr *[16]byte, port uint16) *Dest {
	if len(s.natIndex) == 0 {
		return nil
	}
	h := svcHash(proto, addr, port) & s.natMask
	for {
		id := s.natIndex[h]
		if id < 0 {
			return nil
		}
		d := &s.Dests[id]
		if d.Port == port && d.Addr == *addr && s.Services[d.Service].Proto == proto {
			return d
		}
		h = (h + 1) & s.natMask
	}
}
