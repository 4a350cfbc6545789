package header

import (
	"encoding/binary"
	"net/netip"
)

// IPv6 header (RFC 8200 §3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Traffic Class |           Flow Label                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Payload Length        |  Next Header  |   Hop Limit   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               |
//	+                         Source Address                        +
//	|                          (16 bytes)                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               |
//	+                      Destination Address                      +
//	|                          (16 bytes)                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	ipv6VersTCFL   = 0
	ipv6PayloadLen = 4
	ipv6NextHeader = 6
	ipv6HopLimit   = 7
	ipv6SrcAddr    = 8
	ipv6DstAddr    = 24
)

// IPv6 sizes and constants.
const (
	// IPv6MinimumSize is the size of the fixed IPv6 header.
	IPv6MinimumSize = 40
	// IPv6AddressSize is the size of an IPv6 address.
	IPv6AddressSize = 16
	// IPv6Version is the value of the version nibble.
	IPv6Version = 6
	// IPv6MinimumMTU is the smallest link MTU IPv6 allows (RFC 8200 §5).
	IPv6MinimumMTU = 1280
)

// IPv6 is a view of an IPv6 header and, when the slice is longer, its
// payload. Accessors assume the view holds at least IPv6MinimumSize
// bytes; check [IPv6.IsValid] once.
type IPv6 []byte

// IsValid reports whether the view is an IPv6 packet of which pktSize
// bytes are available: version 6 and the stated payload within pktSize.
func (b IPv6) IsValid(pktSize int) bool {
	if len(b) < IPv6MinimumSize || pktSize > len(b) {
		return false
	}
	return b.Version() == IPv6Version && IPv6MinimumSize+int(b.PayloadLength()) <= pktSize
}

// Version returns the IP version nibble.
func (b IPv6) Version() uint8 { return b[ipv6VersTCFL] >> 4 }

// TrafficClass returns the traffic class (DSCP and ECN).
func (b IPv6) TrafficClass() uint8 { return uint8(binary.BigEndian.Uint16(b[ipv6VersTCFL:]) >> 4) }

// FlowLabel returns the 20-bit flow label.
func (b IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(b[ipv6VersTCFL:]) & 0xfffff }

// PayloadLength returns the length of everything after the fixed header.
func (b IPv6) PayloadLength() uint16 { return binary.BigEndian.Uint16(b[ipv6PayloadLen:]) }

// NextHeader returns the type of the header after the fixed header.
func (b IPv6) NextHeader() uint8 { return b[ipv6NextHeader] }

// HopLimit returns the hop limit.
func (b IPv6) HopLimit() uint8 { return b[ipv6HopLimit] }

// SourceAddressSlice returns the source address as a slice of the view.
func (b IPv6) SourceAddressSlice() []byte { return b[ipv6SrcAddr : ipv6SrcAddr+IPv6AddressSize] }

// DestinationAddressSlice returns the destination address as a slice of
// the view.
func (b IPv6) DestinationAddressSlice() []byte { return b[ipv6DstAddr : ipv6DstAddr+IPv6AddressSize] }

// SourceAddress returns a copy of the source address.
func (b IPv6) SourceAddress() netip.Addr { return netip.AddrFrom16([16]byte(b[ipv6SrcAddr:])) }

// DestinationAddress returns a copy of the destination address.
func (b IPv6) DestinationAddress() netip.Addr { return netip.AddrFrom16([16]byte(b[ipv6DstAddr:])) }

// Payload returns the bytes after the fixed header up to the payload
// length (extension headers included).
func (b IPv6) Payload() []byte { return b[IPv6MinimumSize : IPv6MinimumSize+int(b.PayloadLength())] }

// SetVersionTrafficClassFlowLabel sets the first word: version 6, the
// traffic class and the 20-bit flow label.
func (b IPv6) SetVersionTrafficClassFlowLabel(tc uint8, flow uint32) {
	binary.BigEndian.PutUint32(b[ipv6VersTCFL:], IPv6Version<<28|uint32(tc)<<20|flow&0xfffff)
}

// SetPayloadLength sets the payload length.
func (b IPv6) SetPayloadLength(v uint16) { binary.BigEndian.PutUint16(b[ipv6PayloadLen:], v) }

// SetNextHeader sets the next header type.
func (b IPv6) SetNextHeader(v uint8) { b[ipv6NextHeader] = v }

// SetHopLimit sets the hop limit.
func (b IPv6) SetHopLimit(v uint8) { b[ipv6HopLimit] = v }

// SetSourceAddress sets the source address; a must hold 16 bytes. IPv6
// has no header checksum: update the transport checksum with
// [TCP.UpdateChecksumPseudoHeaderAddress] or its UDP twin.
func (b IPv6) SetSourceAddress(a []byte) { copy(b[ipv6SrcAddr:ipv6SrcAddr+IPv6AddressSize], a) }

// SetDestinationAddress sets the destination address; a must hold 16
// bytes.
func (b IPv6) SetDestinationAddress(a []byte) { copy(b[ipv6DstAddr:ipv6DstAddr+IPv6AddressSize], a) }

// DecHopLimit decrements the hop limit and returns the new value (IPv6
// has no header checksum to update). A forwarder checks HopLimit() > 1
// first. On a hop limit of 0 it changes nothing and returns 0.
func (b IPv6) DecHopLimit() uint8 {
	h := b[ipv6HopLimit]
	if h == 0 {
		return 0
	}
	b[ipv6HopLimit] = h - 1
	return h - 1
}

// IPv6Fields describes an IPv6 fixed header to [IPv6.Encode].
type IPv6Fields struct {
	TrafficClass  uint8
	FlowLabel     uint32 // 20 bits
	PayloadLength uint16
	NextHeader    uint8
	HopLimit      uint8
	SrcAddr       netip.Addr // IPv6 (an IPv4 address is written IPv4-mapped)
	DstAddr       netip.Addr
}

// Encode writes f into the first IPv6MinimumSize bytes of b.
func (b IPv6) Encode(f *IPv6Fields) {
	b.SetVersionTrafficClassFlowLabel(f.TrafficClass, f.FlowLabel)
	b.SetPayloadLength(f.PayloadLength)
	b.SetNextHeader(f.NextHeader)
	b.SetHopLimit(f.HopLimit)
	src, dst := f.SrcAddr.As16(), f.DstAddr.As16()
	b.SetSourceAddress(src[:])
	b.SetDestinationAddress(dst[:])
}
