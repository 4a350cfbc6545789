package snapshot

import (
	"errors"
	"fmt"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

// Method is a real server's forwarding method.
type Method uint8

// Forwarding methods, each forwarded by the dataplane (engine/dr.go,
// nat.go, tun.go, fullnat.go, local.go).
const (
	MethodRoute   Method = iota // direct routing: rewrite MACs only
	MethodMasq                  // NAT
	MethodTunnel                // IPIP/GUE
	MethodFullNAT               // FULLNAT
	MethodLocal                 // local node: delivered to the director's own stack
)

// Limits on slots. Workers size their per-slot counters by these.
const (
	MaxServices = 1 << 12
	MaxDests    = 1 << 16
	MaxLinks    = 16
)

// Service is one virtual service.
type Service struct {
	ID         uint32   // stable slot, < MaxServices
	Proto      uint8    // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP
	Family     uint8    // 4 or 6
	Addr       [16]byte // IPv4 as ::ffff:a.b.c.d
	Port       uint16   // 0: all ports
	Sched      string   // scheduler name as registered in package sched
	SchedFlags uint32   // IP_VS_SVC_F_SCHED* bits
	Dests      []uint32 // destination slots, in configuration order

	FullNAT ServiceFullNAT // local addresses, client address mode (fullnat.go)
	// Flags are the service's IP_VS_SVC_F_PERSISTENT and
	// IP_VS_SVC_F_ONEPACKET bits (SvcPersistent, SvcOnePacket).
	Flags uint32
	// PersistTimeout is the persistence timeout in seconds.
	PersistTimeout uint32
	// Netmask is the persistence granularity: an IPv4 mask in host order
	// for IPv4 services, a prefix length (1..128) for IPv6 ones.
	Netmask uint32
	// FWMark is the firewall mark of a firewall-mark service (0: an
	// address service). Such a service is found through the mark rules
	// ([Snapshot.Classify]), never by [Snapshot.Lookup]; its Proto, Addr
	// and Port are zero.
	FWMark uint32
	// PE is the persistence engine of a persistent service (PENone,
	// PESIP; pe.go).
	PE uint8
}

// NextHop says how to send a frame to a destination: the link index in the
// engine's port list and the Ethernet addresses to write.
type NextHop struct {
	Valid  bool
	Link   uint16
	SrcMAC [6]byte
	DstMAC [6]byte
	MTU    uint16
	// Src is the director's address on the egress link in the
	// destination's family (IPv4 mapped): the outer source of a tunnel.
	Src [16]byte
}

// Dest is one real server of one service.
type Dest struct {
	ID         uint32 // stable slot, < MaxDests
	Service    uint32 // service slot
	Addr       [16]byte
	Port       uint16
	Method     Method
	Weight     int32
	UThreshold uint32
	LThreshold uint32
	// Available is false for a deleted destination whose connections may
	// still exist: their packets are dropped and their timers left to run
	// out, as IPVS does with expire_nodest_conn=0.
	Available bool
	NextHop   NextHop
	// TunType, TunPort and TunFlags describe the encapsulation of a
	// MethodTunnel destination (TunIPIP, TunGUE with its UDP port; the
	// TunFlag bits), as ipvsadm --tun-type/--tun-port/--tun-*csum set them.
	TunType  uint8
	TunPort  uint16
	TunFlags uint16
	// LastWeight is the kernel's last_weight: the latest non-zero weight
	// (mh keeps a quiesced server's Maglev slots with it).
	LastWeight int32
}

// Tunnel types of [Dest.TunType] (IP_VS_CONN_F_TUNNEL_TYPE_*).
const (
	TunIPIP uint8 = 0
	TunGUE  uint8 = 1
	TunGRE  uint8 = 2
)

// Tunnel flags of [Dest.TunFlags] (IP_VS_TUNNEL_ENCAP_FLAG_*); none is
// --tun-nocsum.
const (
	TunFlagCsum    uint16 = 1 << 0
	TunFlagRemCsum uint16 = 1 << 1
)

// Link is an interface the engine serves.
type Link struct {
	IfIndex int
	MAC     [6]byte
}

// Snapshot is one immutable configuration. Build it with [Build].
type Snapshot struct {
	Gen      uint64
	Services []Service // indexed by slot; ID 0 entries with Family 0 are holes
	Dests    []Dest    // indexed by slot; Service field valid only if used
	Timeouts conntrack.Timeouts
	// Marks are the compiled mark rules, in rule order (mark.go).
	Marks []MarkRule

	// LocalAddrs are the FULLNAT local addresses, indexed by slot; set by
	// SetLocalAddrs (fullnat.go).
	LocalAddrs []LocalAddr
	laddrs     laddrIndex

	index []int32 // open-addressing table of service slots (-1 empty)
	mask  uint32

	natIndex []int32 // open-addressing table of NAT destination slots (natdest.go)
	natMask  uint32
}

// Errors from Build.
var (
	ErrSlotRange = errors.New("slot out of range")
	ErrDuplicate = errors.New("duplicate service")
)

// Build assembles a snapshot from services and destinations placed at their
// slots, and the mark rules in their order. It checks slot ranges, indexes
// address services for [Snapshot.Lookup] and resolves each mark rule's
// firewall-mark service for [Snapshot.Classify].
func Build(gen uint64, services []Service, dests []Dest, timeouts conntrack.Timeouts, marks ...MarkRule) (*Snapshot, error) {
	s := &Snapshot{Gen: gen, Timeouts: timeouts}
	maxSvc, maxDest := 0, 0
	for i := range services {
		if services[i].ID >= MaxServices {
			return nil, fmt.Errorf("service %d: %w", services[i].ID, ErrSlotRange)
		}
		maxSvc = max(maxSvc, int(services[i].ID)+1)
	}
	for i := range dests {
		if dests[i].ID >= MaxDests {
			return nil, fmt.Errorf("destination %d: %w", dests[i].ID, ErrSlotRange)
		}
		maxDest = max(maxDest, int(dests[i].ID)+1)
	}
	s.Services = make([]Service, maxSvc)
	s.Dests = make([]Dest, maxDest)
	for _, d := range dests {
		s.Dests[d.ID] = d
	}
	size := 16
	for size < 2*len(services) {
		size <<= 1
	}
	s.index = make([]int32, size)
	for i := range s.index {
		s.index[i] = -1
	}
	s.mask = uint32(size - 1)
	for _, svc := range services {
		s.Services[svc.ID] = svc
		if svc.FWMark != 0 {
			continue // found through the mark rules
		}
		h := svcHash(svc.Proto, &svc.Addr, svc.Port) & s.mask
		for s.index[h] >= 0 {
			o := &s.Services[s.index[h]]
			if o.Proto == svc.Proto && o.Addr == svc.Addr && o.Port == svc.Port {
				return nil, fmt.Errorf("%d %x:%d: %w", svc.Proto, svc.Addr, svc.Port, ErrDuplicate)
			}
			h = (h + 1) & s.mask
		}
		s.index[h] = int32(svc.ID)
	}
	s.indexNATDests()
	if err := s.compileMarks(marks); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup finds the service for a packet to (proto, addr, port): the exact
// service first, then the port-0 service of the address. It returns nil if
// there is none. Hot path: no allocations.
func (s *Snapshot) Lookup(proto uint8, addr *[16]byte, port uint16) *Service {
	if svc := s.find(proto, addr, port); svc != nil {
		return svc
	}
	if port != 0 {
		return s.find(proto, addr, 0)
	}
	return nil
}

func (s *Snapshot) find(proto uint8, addr *[16]byte, port uint16) *Service {
	h := svcHash(proto, addr, port) & s.mask
	for {
		id := s.index[h]
		if id < 0 {
			return nil
		}
		svc := &s.Services[id]
		if svc.Port == port && svc.Proto == proto && svc.Addr == *addr {
			return svc
		}
		h = (h + 1) & s.mask
	}
}

func svcHash(proto uint8, a *[16]byte, port uint16) uint32 {
	var x uint64
	for i := 0; i < 16; i += 4 {
		x = (x ^ uint64(a[i])<<24 ^ uint64(a[i+1])<<16 ^ uint64(a[i+2])<<8 ^ uint64(a[i+3])) * 0x9e3779b97f4a7c15
	}
	x ^= uint64(port)<<8 | uint64(proto)
	x *= 0xff51afd7ed558ccd
	return uint32(x >> 32)
}
