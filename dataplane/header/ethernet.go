package header

import (
	"encoding/binary"
	"fmt"
)

// Ethernet II frame header (IEEE 802.3, RFC 894):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                   Destination MAC address                     |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                     Source MAC address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           EtherType           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	ethDstAddr = 0
	ethSrcAddr = 6
	ethType    = 12
)

// Ethernet sizes.
const (
	// EthernetAddressSize is the size of a MAC address.
	EthernetAddressSize = 6
	// EthernetMinimumSize is the size of an untagged Ethernet header.
	EthernetMinimumSize = 14
)

// EtherTypes the fast path knows.
const (
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeVLAN = 0x8100 // IEEE 802.1Q customer tag (C-tag)
	EtherTypeQinQ = 0x88A8 // IEEE 802.1ad service tag (S-tag)
	EtherTypeIPv6 = 0x86DD
)

// MAC is an Ethernet hardware address.
type MAC [EthernetAddressSize]byte

// String formats m as six colon-separated lowercase hex bytes.
func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// Ethernet is a view of an Ethernet II header. Accessors panic if the
// view is shorter than EthernetMinimumSize; check [Ethernet.IsValid] first.
type Ethernet []byte

// IsValid reports whether the view holds a whole Ethernet header.
func (b Ethernet) IsValid() bool { return len(b) >= EthernetMinimumSize }

// DestinationAddress returns the destination MAC address.
func (b Ethernet) DestinationAddress() MAC {
	return MAC(b[ethDstAddr : ethDstAddr+EthernetAddressSize])
}

// SourceAddress returns the source MAC address.
func (b Ethernet) SourceAddress() MAC { return MAC(b[ethSrcAddr : ethSrcAddr+EthernetAddressSize]) }

// Type returns the EtherType (the TPID when the frame is VLAN-tagged).
func (b Ethernet) Type() uint16 { return binary.BigEndian.Uint16(b[ethType:]) }

// SetDestinationAddress sets the destination MAC address.
func (b Ethernet) SetDestinationAddress(m MAC) { copy(b[ethDstAddr:], m[:]) }

// SetSourceAddress sets the source MAC address.
func (b Ethernet) SetSourceAddress(m MAC) { copy(b[ethSrcAddr:], m[:]) }

// SetType sets the EtherType.
func (b Ethernet) SetType(t uint16) { binary.BigEndian.PutUint16(b[ethType:], t) }

// EthernetFields describes an Ethernet header to [Ethernet.Encode].
type EthernetFields struct {
	SrcAddr MAC
	DstAddr MAC
	Type    uint16
}

// Encode writes f into the first EthernetMinimumSize bytes of b.
func (b Ethernet) Encode(f *EthernetFields) {
	b.SetDestinationAddress(f.DstAddr)
	b.SetSourceAddress(f.SrcAddr)
	b.SetType(f.Type)
}
