package bpf

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Transport protocols a service can have (IPPROTO_*).
const (
	ProtoTCP  uint8 = 6
	ProtoUDP  uint8 = 17
	ProtoSCTP uint8 = 132
)

// ServiceKey is a virtual service as the steering program sees it. Port 0
// means every port of Addr. Addr may be IPv4, IPv4-mapped IPv6 (treated as
// IPv4) or IPv6; a zone is ignored.
type ServiceKey struct {
	Proto uint8
	Addr  netip.Addr
	Port  uint16
}

// SetServices makes the program steer exactly the services in keys: new
// ones are added, stale ones deleted, and the VIP set is derived from the
// keys. Duplicates are ignored. It is safe to call repeatedly; on error the
// maps hold a mix of the old and the new set, and calling it again with the
// same keys completes the change.
//
// The order of the updates (stale VIPs, stale services, new services, new
// VIPs) means a service present in both sets is steered throughout, and
// the maps never need more room than the larger of the two sets.
func (s *Steering) SetServices(keys []ServiceKey) error {
	services, vips, err := serviceSets(keys)
	if err != nil {
		return fmt.Errorf("set services: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := deleteStale(s.objs.Vips, vips); err != nil {
		return fmt.Errorf("set services: vips: %w", err)
	}
	if err := deleteStale(s.objs.Services, services); err != nil {
		return fmt.Errorf("set services: services: %w", err)
	}
	if err := putAll(s.objs.Services, services); err != nil {
		return fmt.Errorf("set services: services: %w", err)
	}
	if err := putAll(s.objs.Vips, vips); err != nil {
		return fmt.Errorf("set services: vips: %w", err)
	}
	return nil
}

// SetNATSources makes the program steer exactly the packets whose source
// is one of keys (a NAT real server: protocol, address, port; port 0 = all
// ports) and whose destination is not a VIP. Empty by default; see the
// package documentation for the caveat about health checks.
func (s *Steering) SetNATSources(keys []ServiceKey) error {
	sources, _, err := serviceSets(keys)
	if err != nil {
		return fmt.Errorf("set NAT sources: %w", err)
	}
	if len(sources) > MaxNATSources {
		return fmt.Errorf("set NAT sources: %d keys, room for %d: %w", len(sources), MaxNATSources, ErrCapacity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := replaceAll(s.objs.NatSources, sources); err != nil {
		return fmt.Errorf("set NAT sources: %w", err)
	}
	return nil
}

// serviceSets validates keys and returns the endpoint keys and the VIPs
// with their number of services.
func serviceSets(keys []ServiceKey) (map[steerEndpointKey]uint32, map[steerVipKey]uint32, error) {
	services := make(map[steerEndpointKey]uint32, len(keys))
	vips := make(map[steerVipKey]uint32)
	for _, k := range keys {
		ek, err := endpointKey(k)
		if err != nil {
			return nil, nil, err
		}
		if _, dup := services[ek]; dup {
			continue
		}
		services[ek] = 0
		vips[steerVipKey{Addr: ek.Addr}]++
	}
	if len(services) > MaxServices {
		return nil, nil, fmt.Errorf("%d services, room for %d: %w", len(services), MaxServices, ErrCapacity)
	}
	if len(vips) > MaxVIPs {
		return nil, nil, fmt.Errorf("%d VIPs, room for %d: %w", len(vips), MaxVIPs, ErrCapacity)
	}
	return services, vips, nil
}

// endpointKey converts k to the program's key layout.
func endpointKey(k ServiceKey) (steerEndpointKey, error) {
	switch k.Proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP:
	default:
		return steerEndpointKey{}, fmt.Errorf("%v port %d protocol %d: %w", k.Addr, k.Port, k.Proto, ErrProtocol)
	}
	if !k.Addr.IsValid() {
		return steerEndpointKey{}, fmt.Errorf("protocol %d port %d: %w", k.Proto, k.Port, ErrAddress)
	}
	addr := k.Addr.Unmap().WithZone("")
	family := steerFamilyFAMILY_IPV6
	if addr.Is4() {
		family = steerFamilyFAMILY_IPV4
	}
	return steerEndpointKey{
		Proto:  k.Proto,
		Family: uint8(family),
		Port:   networkOrder(k.Port),
		Addr:   addr.As16(), // IPv4 as ::ffff:a.b.c.d
	}, nil
}

// networkOrder returns the value whose in-memory bytes are port in network
// byte order, for the __be16 fields of the program's keys.
func networkOrder(port uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], port)
	return binary.NativeEndian.Uint16(b[:])
}
