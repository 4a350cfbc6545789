package bpf

import (
	"errors"
	"fmt"
	"net/netip"
)

// MaxLocalAddrs is how many FULLNAT local addresses fit in the program
// (steer.c MAX_LOCAL_ADDRS).
const MaxLocalAddrs = 256

// ErrPortRange means a local port range whose first port is above its
// last.
var ErrPortRange = errors.New("invalid port range")

// LocalAddr is a FULLNAT local address as the steering program sees it:
// TCP and UDP packets to Addr with a destination port in MinPort..MaxPort
// are replies from real servers and are steered to userspace (counted as
// "steer-fullnat-reply"), and so are irregular packets to Addr; other
// packets to Addr (ICMP, other ports) go to the kernel. Addr may be IPv4,
// IPv4-mapped IPv6 (treated as IPv4) or IPv6; a zone is ignored.
type LocalAddr struct {
	Addr             netip.Addr
	MinPort, MaxPort uint16
}

// SetLocalAddrs makes the program steer exactly the local addresses in
// addrs: new ones are added, stale ones deleted, changed ranges updated.
// An address given twice takes its last range. On error the map holds a
// mix of the old and the new set; calling again with the same addresses
// completes the change.
func (s *Steering) SetLocalAddrs(addrs []LocalAddr) error {
	want := make(map[steerVipKey]steerLaddrRange, len(addrs))
	for _, a := range addrs {
		if !a.Addr.IsValid() {
			return fmt.Errorf("set local addresses: ports %d-%d: %w", a.MinPort, a.MaxPort, ErrAddress)
		}
		if a.MinPort > a.MaxPort {
			return fmt.Errorf("set local addresses: %v: port range %d-%d: %w", a.Addr, a.MinPort, a.MaxPort, ErrPortRange)
		}
		addr := a.Addr.Unmap().WithZone("")
		family := steerFamilyFAMILY_IPV6
		if addr.Is4() {
			family = steerFamilyFAMILY_IPV4
		}
		want[steerVipKey{Addr: addr.As16()}] = steerLaddrRange{MinPort: a.MinPort, MaxPort: a.MaxPort, Family: uint32(family)}
	}
	if len(want) > MaxLocalAddrs {
		return fmt.Errorf("set local addresses: %d addresses, room for %d: %w", len(want), MaxLocalAddrs, ErrCapacity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := replaceAll(s.objs.LocalAddrs, want); err != nil {
		return fmt.Errorf("set local addresses: %w", err)
	}
	return nil
}
