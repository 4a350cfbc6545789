package snapshot

// Service flags, with the values of IP_VS_SVC_F_* in linux/ip_vs.h.
const (
	SvcPersistent uint32 = 0x0001 // persistent service (-p)
	SvcOnePacket  uint32 = 0x0004 // one-packet scheduling for UDP (-o)
)

// MarkRule assigns a firewall mark to packets: a packet of protocol Proto
// (0: TCP, UDP or SCTP) to an address in the prefix Addr/Bits and a port in
// PortFrom..PortTo gets Mark. xlvs applies mark rules where Linux IPVS
// relies on netfilter (iptables -t mangle -j MARK), which AF_XDP traffic
// never passes.
type MarkRule struct {
	Mark     uint32
	Proto    uint8    // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, or 0 for all three
	Family   uint8    // 4 or 6
	Addr     [16]byte // prefix address, IPv4 as ::ffff:a.b.c.d
	Bits     uint8    // prefix length of the 16-byte form: IPv4 /n is 96+n
	PortFrom uint16
	PortTo   uint16

	mask [16]byte
	svc  int32 // slot of the firewall-mark service, -1: none
}

// Service returns the firewall-mark service of the rule's mark and family
// in the snapshot, or nil.
func (r *MarkRule) Service(s *Snapshot) *Service {
	if r.svc < 0 {
		return nil
	}
	return &s.Services[r.svc]
}

// Match reports whether a packet of protocol proto to addr:port matches r.
// Hot path: no allocations.
func (r *MarkRule) Match(proto uint8, addr *[16]byte, port uint16) bool {
	if (r.Proto != 0 && r.Proto != proto) || port < r.PortFrom || port > r.PortTo {
		return false
	}
	var diff byte
	for i := range addr {
		diff |= (addr[i] & r.mask[i]) ^ r.Addr[i]
	}
	return diff == 0
}

// Classify applies the mark rules to a packet of protocol proto to
// addr:port: the first matching rule gives the packet its mark, and
// Classify returns that mark's firewall-mark service of the packet's
// family. It returns nil when no rule matches or when the mark has no
// service; the caller then looks the packet up by address ([Lookup]), as
// IPVS does when a marked packet has no firewall-mark service. Firewall-mark
// services take precedence over address services because IPVS looks the
// mark up first. Hot path: no allocations; rules are scanned in order, so
// keep them few.
func (s *Snapshot) Classify(proto uint8, addr *[16]byte, port uint16) *Service {
	for i := range s.Marks {
		r := &s.Marks[i]
		if r.Match(proto, addr, port) {
			return r.Service(s)
		}
	}
	return nil
}
