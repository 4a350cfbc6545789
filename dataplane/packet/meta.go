package packet

import (
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/header"
)

// TCP flags as found in [Meta.TCPFlags].
const (
	TCPFin = header.TCPFlagFin
	TCPSyn = header.TCPFlagSyn
	TCPRst = header.TCPFlagRst
	TCPPsh = header.TCPFlagPsh
	TCPAck = header.TCPFlagAck
)

// Meta describes a parsed frame. Offsets are from the start of the frame.
type Meta struct {
	L3Off      uint16 // offset of the IP header in the frame
	L4Off      uint16 // offset of the transport header
	PayloadOff uint16 // offset of the L4 payload (after TCP options / UDP header / SCTP common header); = L4Off for other protos
	EtherType  uint16 // EtherType after any VLAN tag (0x0800 / 0x86DD)
	VLANID     uint16 // ID of the outermost VLAN tag; 0 when untagged
	IPLen      uint16 // IP total length as stated (IPv4 total length; IPv6 40+payload length); frame may be longer (padding), never shorter
	Family     uint8  // 4 or 6
	Proto      uint8  // transport protocol (after IPv6 extension headers)
	TCPFlags   uint8  // TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10)
	ICMPType   uint8
	ICMPCode   uint8
	Src, Dst   [16]byte // IPv6 addresses; IPv4 as IPv4-mapped ::ffff:a.b.c.d
	SrcPort    uint16   // TCP/UDP/SCTP; 0 otherwise
	DstPort    uint16
	// SCTP: the type and flags of the first chunk (IPVS's
	// sctp_state_transition looks at the first chunk only), and whether
	// the chunk after it is an ABORT (IPVS takes a COOKIE ECHO or COOKIE
	// ACK bundled with an ABORT for the ABORT). Zero for other protocols.
	SCTPChunk      uint8
	SCTPChunkFlags uint8
	SCTPAbortNext  bool
}

// SrcAddr returns the source address; an IPv4 address is returned as
// IPv4 (unmapped). For tests and the control path, not the hot path.
func (m *Meta) SrcAddr() netip.Addr { return m.addr(&m.Src) }

// DstAddr returns the destination address like [Meta.SrcAddr].
func (m *Meta) DstAddr() netip.Addr { return m.addr(&m.Dst) }

func (m *Meta) addr(a *[16]byte) netip.Addr {
	ip := netip.AddrFrom16(*a)
	if m.Family == 4 {
		return ip.Unmap()
	}
	return ip
}
