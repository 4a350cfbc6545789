package header

import (
	"encoding/binary"
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// IPv4 header (RFC 791 §3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	ipv4VersIHL  = 0
	ipv4TOS      = 1
	ipv4TotalLen = 2
	ipv4ID       = 4
	ipv4FlagsFO  = 6
	ipv4TTL      = 8
	ipv4Protocol = 9
	ipv4Checksum = 10
	ipv4SrcAddr  = 12
	ipv4DstAddr  = 16
	ipv4Options  = 20
)

// IPv4 sizes and constants.
const (
	// IPv4MinimumSize is the size of an IPv4 header without options.
	IPv4MinimumSize = 20
	// IPv4MaximumHeaderSize is the size of an IPv4 header with 40 bytes
	// of options (IHL 15).
	IPv4MaximumHeaderSize = 60
	// IPv4AddressSize is the size of an IPv4 address.
	IPv4AddressSize = 4
	// IPv4Version is the value of the version nibble.
	IPv4Version = 4
	// IPv4MaximumTTL is the largest TTL value.
	IPv4MaximumTTL = 255
)

// IPv4 flags, as returned by [IPv4.Flags].
const (
	IPv4FlagMoreFragments = 1 << 0
	IPv4FlagDontFragment  = 1 << 1
)

// IPv4 is a view of an IPv4 header and, when the slice is longer, its
// payload. Accessors assume the view holds at least IPv4MinimumSize bytes
// (and HeaderLength bytes for [IPv4.Options]); check [IPv4.IsValid] once.
type IPv4 []byte

// IsValid reports whether the view is a well-formed IPv4 packet of which
// pktSize bytes are available: version 4, header length at least 20 and
// within the view, and total length covering the header and not beyond
// pktSize. It does not verify the checksum.
func (b IPv4) IsValid(pktSize int) bool {
	if len(b) < IPv4MinimumSize || pktSize > len(b) {
		return false
	}
	hlen, tlen := int(b.HeaderLength()), int(b.TotalLength())
	return b.Version() == IPv4Version && hlen >= IPv4MinimumSize && hlen <= tlen && tlen <= pktSize
}

// Version returns the IP version nibble.
func (b IPv4) Version() uint8 { return b[ipv4VersIHL] >> 4 }

// HeaderLength returns the header length in bytes (IHL × 4).
func (b IPv4) HeaderLength() uint8 { return (b[ipv4VersIHL] & 0x0f) * 4 }

// TOS returns the type of service (DSCP and ECN) byte.
func (b IPv4) TOS() uint8 { return b[ipv4TOS] }

// TotalLength returns the total length of the packet, header included.
func (b IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(b[ipv4TotalLen:]) }

// ID returns the identification field.
func (b IPv4) ID() uint16 { return binary.BigEndian.Uint16(b[ipv4ID:]) }

// Flags returns the three flag bits (IPv4FlagMoreFragments,
// IPv4FlagDontFragment).
func (b IPv4) Flags() uint8 { return b[ipv4FlagsFO] >> 5 }

// FragmentOffset returns the fragment offset in bytes.
func (b IPv4) FragmentOffset() uint16 { return binary.BigEndian.Uint16(b[ipv4FlagsFO:]) << 3 }

// More reports whether the More Fragments flag is set.
func (b IPv4) More() bool { return b.Flags()&IPv4FlagMoreFragments != 0 }

// IsFragment reports whether the packet is a fragment: More Fragments set
// or a non-zero offset.
func (b IPv4) IsFragment() bool { return binary.BigEndian.Uint16(b[ipv4FlagsFO:])&0x3fff != 0 }

// TTL returns the time to live.
func (b IPv4) TTL() uint8 { return b[ipv4TTL] }

// Protocol returns the transport protocol number.
func (b IPv4) Protocol() uint8 { return b[ipv4Protocol] }

// Checksum returns the header checksum field.
func (b IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[ipv4Checksum:]) }

// SourceAddressSlice returns the source address as a slice of the view:
// it changes when the header does.
func (b IPv4) SourceAddressSlice() []byte { return b[ipv4SrcAddr : ipv4SrcAddr+IPv4AddressSize] }

// DestinationAddressSlice returns the destination address as a slice of
// the view: it changes when the header does.
func (b IPv4) DestinationAddressSlice() []byte { return b[ipv4DstAddr : ipv4DstAddr+IPv4AddressSize] }

// SourceAddress returns a copy of the source address.
func (b IPv4) SourceAddress() netip.Addr { return netip.AddrFrom4([4]byte(b[ipv4SrcAddr:])) }

// DestinationAddress returns a copy of the destination address.
func (b IPv4) DestinationAddress() netip.Addr { return netip.AddrFrom4([4]byte(b[ipv4DstAddr:])) }

// Options returns the options, a slice of the view.
func (b IPv4) Options() []byte { return b[ipv4Options:b.HeaderLength()] }

// Payload returns the bytes after the header up to the total length.
func (b IPv4) Payload() []byte { return b[b.HeaderLength():b.TotalLength()] }

// SetHeaderLength sets IHL to hlen/4 and the version to 4.
func (b IPv4) SetHeaderLength(hlen uint8) { b[ipv4VersIHL] = IPv4Version<<4 | (hlen/4)&0x0f }

// SetTOS sets the type of service byte.
func (b IPv4) SetTOS(v uint8) { b[ipv4TOS] = v }

// SetTotalLength sets the total length.
func (b IPv4) SetTotalLength(v uint16) { binary.BigEndian.PutUint16(b[ipv4TotalLen:], v) }

// SetID sets the identification field.
func (b IPv4) SetID(v uint16) { binary.BigEndian.PutUint16(b[ipv4ID:], v) }

// SetFlagsFragmentOffset sets the flags and the fragment offset in bytes
// (a multiple of 8).
func (b IPv4) SetFlagsFragmentOffset(flags uint8, offset uint16) {
	binary.BigEndian.PutUint16(b[ipv4FlagsFO:], uint16(flags)<<13|(offset>>3)&0x1fff)
}

// SetTTL sets the time to live.
func (b IPv4) SetTTL(v uint8) { b[ipv4TTL] = v }

// SetProtocol sets the transport protocol number.
func (b IPv4) SetProtocol(v uint8) { b[ipv4Protocol] = v }

// SetChecksum sets the header checksum field.
func (b IPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[ipv4Checksum:], v) }

// SetSourceAddress sets the source address; a must hold 4 bytes (for an
// IPv4-mapped [16]byte, pass a[12:]).
func (b IPv4) SetSourceAddress(a []byte) { copy(b[ipv4SrcAddr:ipv4SrcAddr+IPv4AddressSize], a) }

// SetDestinationAddress sets the destination address; a must hold 4
// bytes.
func (b IPv4) SetDestinationAddress(a []byte) { copy(b[ipv4DstAddr:ipv4DstAddr+IPv4AddressSize], a) }

// SetSourceAddressWithChecksumUpdate sets the source address and updates
// the header checksum incrementally (RFC 1624). It does not touch the
// transport checksum: see [TCP.UpdateChecksumPseudoHeaderAddress].
func (b IPv4) SetSourceAddressWithChecksumUpdate(a []byte) {
	b.SetChecksum(^checksum.UpdateAddress(^b.Checksum(), b.SourceAddressSlice(), a))
	b.SetSourceAddress(a)
}

// SetDestinationAddressWithChecksumUpdate sets the destination address
// and updates the header checksum incrementally (RFC 1624).
func (b IPv4) SetDestinationAddressWithChecksumUpdate(a []byte) {
	b.SetChecksum(^checksum.UpdateAddress(^b.Checksum(), b.DestinationAddressSlice(), a))
	b.SetDestinationAddress(a)
}

// DecTTL decrements the TTL, updates the header checksum incrementally
// (RFC 1624; TTL and protocol share a 16-bit word, RFC 1141) and returns
// the new TTL. A router must not forward a packet whose TTL reaches 0: a
// forwarder checks TTL() > 1 first and answers with an ICMP Time Exceeded
// otherwise. On a TTL of 0 DecTTL changes nothing and returns 0.
func (b IPv4) DecTTL() uint8 {
	ttl := b[ipv4TTL]
	if ttl == 0 {
		return 0
	}
	b[ipv4TTL] = ttl - 1
	// The word is TTL<<8 | protocol; only the high byte changes.
	b.SetChecksum(^checksum.Update(^b.Checksum(), uint16(ttl)<<8, uint16(ttl-1)<<8))
	return ttl - 1
}

// CalculateChecksum returns the uncomplemented sum of the header
// (HeaderLength bytes), checksum field included. Set the checksum with
// SetChecksum(0) then SetChecksum(^CalculateChecksum()).
func (b IPv4) CalculateChecksum() uint16 { return checksum.Checksum(b[:b.HeaderLength()], 0) }

// IsChecksumValid reports whether the header checksum is correct.
func (b IPv4) IsChecksumValid() bool { return b.CalculateChecksum() == 0xffff }

// IPv4Fields describes an IPv4 header to [IPv4.Encode].
type IPv4Fields struct {
	TOS            uint8
	TotalLength    uint16
	ID             uint16
	Flags          uint8
	FragmentOffset uint16 // in bytes, a multiple of 8
	TTL            uint8
	Protocol       uint8
	Checksum       uint16
	SrcAddr        netip.Addr // IPv4 or IPv4-mapped
	DstAddr        netip.Addr // IPv4 or IPv4-mapped
	Options        []byte     // padded with zeros to a multiple of 4 bytes
}

// Encode writes f into b, which must hold IPv4MinimumSize plus the padded
// options. It sets IHL from the options and writes f.Checksum as given:
// follow with b.SetChecksum(^b.CalculateChecksum()) to compute it. It
// panics if an address is not IPv4 or IPv4-mapped, or on options longer
// than 40 bytes.
func (b IPv4) Encode(f *IPv4Fields) {
	if len(f.Options) > IPv4MaximumHeaderSize-IPv4MinimumSize {
		panic("header: IPv4 options longer than 40 bytes")
	}
	hlen := IPv4MinimumSize + (len(f.Options)+3)&^3
	b.SetHeaderLength(uint8(hlen))
	b.SetTOS(f.TOS)
	b.SetTotalLength(f.TotalLength)
	b.SetID(f.ID)
	b.SetFlagsFragmentOffset(f.Flags, f.FragmentOffset)
	b.SetTTL(f.TTL)
	b.SetProtocol(f.Protocol)
	b.SetChecksum(f.Checksum)
	src, dst := f.SrcAddr.As4(), f.DstAddr.As4()
	b.SetSourceAddress(src[:])
	b.SetDestinationAddress(dst[:])
	n := copy(b[ipv4Options:hlen], f.Options)
	clear(b[ipv4Options+n : hlen])
}
