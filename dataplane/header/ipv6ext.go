package header

import "encoding/binary"

// IPv6 extension headers (RFC 8200 §4) share a first byte, the type of
// the next header. Hop-by-Hop Options, Routing and Destination Options
// give their length in 8-octet units, not counting the first 8:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |  Hdr Ext Len  |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	.                 options or routing data                       .
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// the Fragment header (§4.5) is 8 bytes long:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Identification                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// and the Authentication Header (RFC 4302 §2.2) gives its length in
// 4-octet units, minus 2.
const (
	extNextHeader = 0
	extLength     = 1
)

// IPv6 extension header sizes and limits.
const (
	// IPv6ExtHeaderMinimumSize is the smallest extension header.
	IPv6ExtHeaderMinimumSize = 8
	// IPv6FragmentHeaderSize is the size of the Fragment header.
	IPv6FragmentHeaderSize = 8
	// IPv6MaxExtHeaders is the default limit on extension headers walked
	// before a packet is declared malformed; Linux stops at a similar
	// small number, and legitimate traffic carries one or two.
	IPv6MaxExtHeaders = 8
)

// IsIPv6ExtHeader reports whether proto is an extension header that
// [SkipIPv6ExtHeaders] walks over: Hop-by-Hop, Routing, Fragment,
// Destination Options or AH. ESP is not one: what follows it is
// encrypted, so it ends the walk like a transport protocol.
func IsIPv6ExtHeader(proto uint8) bool {
	switch proto {
	case IPProtoHopByHop, IPProtoRouting, IPProtoFragment, IPProtoDstOpts, IPProtoAH:
		return true
	}
	return false
}

// ExtHeaderStatus says how [SkipIPv6ExtHeaders] ended.
type ExtHeaderStatus uint8

// Outcomes of [SkipIPv6ExtHeaders].
const (
	// ExtHeaderDone: the walk reached an upper-layer header (or No Next
	// Header, 59).
	ExtHeaderDone ExtHeaderStatus = iota
	// ExtHeaderFragment: the walk stopped at a Fragment header.
	ExtHeaderFragment
	// ExtHeaderMalformed: a header runs past the payload, or Hop-by-Hop
	// is not the first header (RFC 8200 §4.1).
	ExtHeaderMalformed
	// ExtHeaderTooMany: more extension headers than the limit.
	ExtHeaderTooMany
)

// SkipIPv6ExtHeaders walks the extension headers at the start of an IPv6
// payload (bounded by the payload length), next being the fixed header's
// Next Header field. It returns the upper-layer protocol and its offset
// in payload. At a Fragment header it stops and returns
// IPProtoFragment with the header's offset. At most limit extension
// headers are walked. It does not allocate.
func SkipIPv6ExtHeaders(payload []byte, next uint8, limit int) (proto uint8, off int, st ExtHeaderStatus) {
	for n := 0; IsIPv6ExtHeader(next); n++ {
		if n == limit {
			return next, off, ExtHeaderTooMany
		}
		if next == IPProtoHopByHop && n > 0 {
			return next, off, ExtHeaderMalformed
		}
		if len(payload)-off < IPv6ExtHeaderMinimumSize {
			return next, off, ExtHeaderMalformed
		}
		if next == IPProtoFragment {
			return next, off, ExtHeaderFragment
		}
		var size int
		if next == IPProtoAH {
			// RFC 4302 §2.2: "the length of AH in 32-bit words (4-byte
			// units), minus 2". The minimum is 3 (12 bytes, no ICV).
			size = (int(payload[off+extLength]) + 2) * 4
			if size < 12 {
				return next, off, ExtHeaderMalformed
			}
		} else {
			size = (int(payload[off+extLength]) + 1) * 8
		}
		if len(payload)-off < size {
			return next, off, ExtHeaderMalformed
		}
		next = payload[off+extNextHeader]
		off += size
	}
	return next, off, ExtHeaderDone
}

// IPv6Fragment is a view of an IPv6 Fragment extension header.
type IPv6Fragment []byte

// NextHeader returns the type of the header after the fragment header.
func (b IPv6Fragment) NextHeader() uint8 { return b[extNextHeader] }

// FragmentOffset returns the fragment offset in bytes.
func (b IPv6Fragment) FragmentOffset() uint16 { return binary.BigEndian.Uint16(b[2:]) &^ 7 }

// More reports whether the M (more fragments) flag is set.
func (b IPv6Fragment) More() bool { return b[3]&1 != 0 }

// ID returns the fragment identification.
func (b IPv6Fragment) ID() uint32 { return binary.BigEndian.Uint32(b[4:]) }

// IPv6FragmentFields describes a Fragment header to
// [IPv6Fragment.Encode].
type IPv6FragmentFields struct {
	NextHeader     uint8
	FragmentOffset uint16 // in bytes, a multiple of 8
	More           bool
	ID             uint32
}

// Encode writes f into the first IPv6FragmentHeaderSize bytes of b.
func (b IPv6Fragment) Encode(f *IPv6FragmentFields) {
	b[extNextHeader] = f.NextHeader
	b[1] = 0
	v := f.FragmentOffset &^ 7
	if f.More {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	binary.BigEndian.PutUint32(b[4:], f.ID)
}
