package bpf

import (
	"fmt"
	"net/netip"
)

// MaxOwnAddrs is how many of the director's own addresses fit in the
// program (steer.c MAX_OWN_ADDRS; TestOwnAddrsCapacity checks it).
const MaxOwnAddrs = 1024

// SetOwnAddrs makes the program's set of the director's own addresses
// equal to addrs (IPv4, IPv4-mapped or IPv6; zones ignored, duplicates
// and invalid addresses skipped). A packet from a NAT real server — or an
// ICMP error about a packet to one — addressed to one of them answers the
// director's own connection (a health check) and is passed to the kernel
// instead of being steered as a NAT reply. Leave FULLNAT local addresses
// out: their replies must reach the workers.
//
// New addresses are added before stale ones are removed, so an address in
// both sets is never missing. Safe to call repeatedly.
func (s *Steering) SetOwnAddrs(addrs []netip.Addr) error {
	want := make(map[steerVipKey]uint32, len(addrs))
	for _, a := range addrs {
		if !a.IsValid() {
			continue
		}
		want[steerVipKey{Addr: a.Unmap().WithZone("").As16()}] = 0
	}
	if len(want) > MaxOwnAddrs {
		return fmt.Errorf("set own addresses: %d addresses, room for %d: %w", len(want), MaxOwnAddrs, ErrCapacity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := putAll(s.objs.OwnAddrs, want); err != nil {
		return fmt.Errorf("set own addresses: %w", err)
	}
	if err := deleteStale(s.objs.OwnAddrs, want); err != nil {
		return fmt.Errorf("set own addresses: %w", err)
	}
	return nil
}
