package snapshot

import (
	"errors"
	"fmt"
)

// MaxLocalAddrs bounds the FULLNAT local address slots. Workers size their
// port pools by it (fullnat.Config.Addrs): about 16 KiB of bitmaps per
// slot in all, whatever the number of workers.
const MaxLocalAddrs = 256

// NoLink is LocalAddr.Link for an address not tied to one interface.
const NoLink = -1

// ClientAddrMode says how FULLNAT real servers of a service learn the
// client's address.
type ClientAddrMode uint8

// Client address modes.
const (
	ClientAddrNone    ClientAddrMode = iota // the real server sees the local address only
	ClientAddrTOA                           // TOA option in the first client segments (TCP)
	ClientAddrProxyV2                       // PROXY protocol v2 header before the client's data
)

// ServiceFullNAT is the FULLNAT part of a [Service].
type ServiceFullNAT struct {
	// Laddrs are the local address slots new connections of the service
	// take their source from, round robin, in configuration order. Only
	// available addresses are listed.
	Laddrs []uint32
	// ClientAddr is the client address mode.
	ClientAddr ClientAddrMode
}

// LocalAddr is one FULLNAT local address (LIP). A slot is shared by every
// service using the address, so that the ports of one address are handed
// out once: the workers keep one port pool per slot.
type LocalAddr struct {
	ID     uint32   // stable slot, < MaxLocalAddrs
	Family uint8    // 4 or 6; 0 for a hole
	Addr   [16]byte // IPv4 as ::ffff:a.b.c.d
	// Link is the index in the engine's link list of the interface the
	// real servers reach the address through, or NoLink.
	Link int
	// Available is false for an address deleted while connections may
	// still use it: their replies are still translated, new connections
	// do not get it, and the slot comes back when none is left.
	Available bool
}

// laddrIndex finds local addresses by address: open addressing over slot
// numbers, -1 empty.
type laddrIndex struct {
	slots []int32
	mask  uint32
}

// ErrLocalAddr reports an invalid local address table.
var ErrLocalAddr = errors.New("invalid local address")

// SetLocalAddrs completes a snapshot being built with its local addresses
// (each at its slot) and checks that the services name only slots that
// exist. It is part of building a snapshot: call it before publishing,
// never after.
func (s *Snapshot) SetLocalAddrs(addrs []LocalAddr) error {
	n := 0
	for i := range addrs {
		a := &addrs[i]
		if a.ID >= MaxLocalAddrs || (a.Family != 4 && a.Family != 6) {
			return fmt.Errorf("slot %d family %d: %w", a.ID, a.Family, ErrLocalAddr)
		}
		n = max(n, int(a.ID)+1)
	}
	s.LocalAddrs = make([]LocalAddr, n)
	size := 16
	for size < 2*len(addrs) {
		size <<= 1
	}
	s.laddrs = laddrIndex{slots: make([]int32, size), mask: uint32(size - 1)}
	for i := range s.laddrs.slots {
		s.laddrs.slots[i] = -1
	}
	for _, a := range addrs {
		if s.LocalAddrs[a.ID].Family != 0 || s.LookupLocalAddr(&a.Addr) != nil {
			return fmt.Errorf("slot %d %x: duplicate: %w", a.ID, a.Addr, ErrLocalAddr)
		}
		s.LocalAddrs[a.ID] = a
		h := svcHash(0, &a.Addr, 0) & s.laddrs.mask
		for s.laddrs.slots[h] >= 0 {
			h = (h + 1) & s.laddrs.mask
		}
		s.laddrs.slots[h] = int32(a.ID)
	}
	for i := range s.Services {
		for _, id := range s.Services[i].FullNAT.Laddrs {
			if int(id) >= n || s.LocalAddrs[id].Family == 0 {
				return fmt.Errorf("service %d names slot %d: %w", s.Services[i].ID, id, ErrLocalAddr)
			}
		}
	}
	return nil
}

// LookupLocalAddr returns the local address addr, available or not, or
// nil. Hot path: no allocations.
func (s *Snapshot) LookupLocalAddr(addr *[16]byte) *LocalAddr {
	if len(s.laddrs.slots) == 0 {
		return nil
	}
	h := svcHash(0, addr, 0) & s.laddrs.mask
	for {
		id := s.laddrs.slots[h]
		if id < 0 {
			return nil
		}
		if a := &s.LocalAddrs[id]; a.Addr == *addr {
			return a
		}
		h = (h + 1) & s.laddrs.mask
	}
}
