package pktgen

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Kind is what the generated packets are.
type Kind uint8

// Kinds of traffic.
const (
	// UDP datagrams.
	UDP Kind = iota
	// TCPSyn are TCP SYNs without payload: a new connection per flow.
	TCPSyn
	// TCPAck are ACK|PSH segments with payload: packets of established
	// flows.
	TCPAck
)

// String returns "udp", "syn" or "ack", the names ParseKind accepts.
func (k Kind) String() string {
	switch k {
	case UDP:
		return "udp"
	case TCPSyn:
		return "syn"
	case TCPAck:
		return "ack"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind parses "udp", "syn" or "ack" ("tcp" is "ack").
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "udp":
		return UDP, nil
	case "syn":
		return TCPSyn, nil
	case "ack", "tcp":
		return TCPAck, nil
	}
	return 0, fmt.Errorf("%w %q: want udp, syn or ack", ErrBadSpec, s)
}

// Limits of a [Spec].
const (
	// MinFrameSize and MaxFrameSize bound Spec.FrameSize, which counts
	// the 4-byte Ethernet FCS as RFC 2544 frame sizes do: a 64-byte frame
	// is 60 bytes handed to the device.
	MinFrameSize = 64
	MaxFrameSize = 1518
	// MaxVIPs is the most destination addresses a Spec may have.
	MaxVIPs = 16
	// fcsLen is the Ethernet frame check sequence the device appends.
	fcsLen = 4
)

// ErrBadSpec is wrapped by every error about an invalid [Spec] or flag.
var ErrBadSpec = errors.New("pktgen: invalid traffic")

// AddrRange is Count consecutive addresses starting at First. Only the low
// 32 bits of an address vary: the range must not carry past them.
type AddrRange struct {
	First netip.Addr
	Count uint32
}

// ParseAddrRange parses "a", "a-b" (inclusive) or a prefix "a/n" (every
// address of it, capped at 2^32).
func ParseAddrRange(s string) (AddrRange, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		bits := p.Addr().BitLen() - p.Bits()
		if bits >= 32 {
			return AddrRange{}, fmt.Errorf("%w: address range %s: at most 2^32-1 addresses", ErrBadSpec, s)
		}
		return AddrRange{First: p.Addr(), Count: 1 << bits}, nil
	}
	lo, hi, dash := strings.Cut(s, "-")
	first, err := netip.ParseAddr(lo)
	if err != nil {
		return AddrRange{}, fmt.Errorf("%w: address range %q: %v", ErrBadSpec, s, err)
	}
	if !dash {
		return AddrRange{First: first, Count: 1}, nil
	}
	last, err := netip.ParseAddr(hi)
	if err != nil {
		return AddrRange{}, fmt.Errorf("%w: address range %q: %v", ErrBadSpec, s, err)
	}
	if first.BitLen() != last.BitLen() || last.Less(first) || high96(first) != high96(last) {
		return AddrRange{}, fmt.Errorf("%w: address range %q: want first-last of one family, first <= last, differing in the low 32 bits only", ErrBadSpec, s)
	}
	n := uint64(low32(last)) - uint64(low32(first)) + 1
	if n > math.MaxUint32 {
		return AddrRange{}, fmt.Errorf("%w: address range %s: at most 2^32-1 addresses", ErrBadSpec, s)
	}
	return AddrRange{First: first, Count: uint32(n)}, nil
}

// PortRange is Count consecutive ports starting at First.
type PortRange struct {
	First uint16
	Count uint32
}

// ParsePortRange parses "p" or "p-q" (inclusive), ports 1..65535.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, dash := strings.Cut(s, "-")
	if !dash {
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || a == 0 || b < a {
		return PortRange{}, fmt.Errorf("%w: port range %q: want p or p-q with 1 <= p <= q <= 65535", ErrBadSpec, s)
	}
	return PortRange{First: uint16(a), Count: uint32(b-a) + 1}, nil
}

// Spec describes the traffic: which flows, what kind, what frames.
//
// Flow i (0 <= i < Flows) is numbered source port first: port
// SrcPorts.First + i%P, address SrcAddrs.First + (i/P)%A, destination
// VIPs[(i/P/A)%V], for P ports, A addresses and V VIPs. The generator
// sends flow 0, 1, ..., Flows-1 and starts again.
type Spec struct {
	Kind     Kind
	SrcAddrs AddrRange
	SrcPorts PortRange
	VIPs     []netip.Addr
	DstPort  uint16
	// Flows is the number of distinct flows: 1..P*A*V; 0 means P*A*V.
	Flows uint32
	// FrameSize counts the FCS (see MinFrameSize).
	FrameSize int
	// SrcMAC and DstMAC are the Ethernet addresses of every frame.
	SrcMAC, DstMAC net.HardwareAddr
}

// Validate checks s and fills in Flows when 0.
func (s *Spec) Validate() error {
	if s.Kind > TCPAck {
		return fmt.Errorf("%w: kind %v", ErrBadSpec, s.Kind)
	}
	if !s.SrcAddrs.First.IsValid() || s.SrcAddrs.Count == 0 {
		return fmt.Errorf("%w: no source addresses", ErrBadSpec)
	}
	if uint64(low32(s.SrcAddrs.First))+uint64(s.SrcAddrs.Count)-1 > math.MaxUint32 {
		return fmt.Errorf("%w: source range %v+%d carries past the low 32 bits", ErrBadSpec, s.SrcAddrs.First, s.SrcAddrs.Count)
	}
	if s.SrcPorts.Count == 0 || uint32(s.SrcPorts.First)+s.SrcPorts.Count-1 > 65535 || s.SrcPorts.First == 0 {
		return fmt.Errorf("%w: source ports %d+%d: must be within 1..65535", ErrBadSpec, s.SrcPorts.First, s.SrcPorts.Count)
	}
	if len(s.VIPs) == 0 || len(s.VIPs) > MaxVIPs {
		return fmt.Errorf("%w: %d destination addresses: want 1..%d", ErrBadSpec, len(s.VIPs), MaxVIPs)
	}
	v6 := s.SrcAddrs.First.Is6() && !s.SrcAddrs.First.Is4In6()
	for _, v := range s.VIPs {
		if (v.Is6() && !v.Is4In6()) != v6 {
			return fmt.Errorf("%w: destination %v and source %v are of different families", ErrBadSpec, v, s.SrcAddrs.First)
		}
	}
	if s.DstPort == 0 {
		return fmt.Errorf("%w: destination port 0", ErrBadSpec)
	}
	total := uint64(s.SrcPorts.Count) * uint64(s.SrcAddrs.Count) * uint64(len(s.VIPs))
	if s.Flows == 0 {
		s.Flows = uint32(min(total, math.MaxUint32))
	}
	if uint64(s.Flows) > total {
		return fmt.Errorf("%w: %d flows asked, the ranges make only %d (ports × addresses × VIPs)", ErrBadSpec, s.Flows, total)
	}
	if min := s.MinFrameSize(); s.FrameSize < min || s.FrameSize > MaxFrameSize {
		return fmt.Errorf("%w: frame size %d: must be %d..%d for %v over IPv%d", ErrBadSpec, s.FrameSize, min, MaxFrameSize, s.Kind, s.ipVersion())
	}
	if len(s.SrcMAC) != 6 || len(s.DstMAC) != 6 {
		return fmt.Errorf("%w: source and destination MAC addresses are needed", ErrBadSpec)
	}
	return nil
}

// MinFrameSize returns the smallest frame size (FCS included) that holds
// the headers of s's kind and family, and at least 64.
func (s *Spec) MinFrameSize() int {
	return max(MinFrameSize, s.headerLen()+fcsLen)
}

// Flow returns the source address, source port and destination of flow i
// (see [Spec]). s must be valid.
func (s *Spec) Flow(i uint32) (src netip.Addr, sport uint16, dst netip.Addr) {
	i %= s.Flows
	p := i % s.SrcPorts.Count
	i /= s.SrcPorts.Count
	a := i % s.SrcAddrs.Count
	v := (i / s.SrcAddrs.Count) % uint32(len(s.VIPs))
	return withLow32(s.SrcAddrs.First, low32(s.SrcAddrs.First)+a), s.SrcPorts.First + uint16(p), s.VIPs[v]
}

func (s *Spec) ipVersion() int {
	if s.SrcAddrs.First.Is4() || s.SrcAddrs.First.Is4In6() {
		return 4
	}
	return 6
}

func (s *Spec) headerLen() int {
	n := 14 + 20
	if s.ipVersion() == 6 {
		n = 14 + 40
	}
	if s.Kind == UDP {
		return n + 8
	}
	return n + 20
}

// low32 returns the low 32 bits of a.
func low32(a netip.Addr) uint32 {
	b := a.Unmap().AsSlice()
	n := len(b)
	return uint32(b[n-4])<<24 | uint32(b[n-3])<<16 | uint32(b[n-2])<<8 | uint32(b[n-1])
}

// high96 returns the bytes of a above its low 32 bits.
func high96(a netip.Addr) [12]byte {
	var h [12]byte
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		copy(h[:], b[:12])
	}
	return h
}

// withLow32 returns a with its low 32 bits replaced by v.
func withLow32(a netip.Addr, v uint32) netip.Addr {
	if a.Is4() || a.Is4In6() {
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b := a.As16()
	b[12], b[13], b[14], b[15] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}
