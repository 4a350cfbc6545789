package header

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages start alike:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Identifier / unused / MTU    |  Sequence / Next-Hop MTU      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Data (for errors: as much of the invoking packet as fits) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The ICMPv4 checksum covers the message; the ICMPv6 checksum also covers
// the IPv6 pseudo-header. An ICMPv4 Destination Unreachable with code
// Fragmentation Needed carries the next-hop MTU in bytes 6-7 (RFC 1191);
// an ICMPv6 Packet Too Big carries the MTU in bytes 4-7.
const (
	icmpType     = 0
	icmpCode     = 1
	icmpChecksum = 2
	icmpIdent    = 4
	icmpSequence = 6
	icmpv4MTU    = 6
	icmpv6MTU    = 4
)

// ICMP sizes.
const (
	// ICMPv4MinimumSize is the size of an ICMPv4 header (type, code,
	// checksum and the 4-byte rest of header).
	ICMPv4MinimumSize = 8
	// ICMPv6MinimumSize is the size of an ICMPv6 header.
	ICMPv6MinimumSize = 8
	// ICMPv4MaximumErrorPayload is the invoking datagram a Linux-style
	// ICMPv4 error quotes at most, keeping the error within 576 bytes
	// (RFC 1812 §4.3.2.3).
	ICMPv4MaximumErrorPayload = 576 - IPv4MinimumSize - ICMPv4MinimumSize
	// ICMPv6MaximumErrorPayload keeps an ICMPv6 error within the IPv6
	// minimum MTU (RFC 4443 §2.4 (c)).
	ICMPv6MaximumErrorPayload = IPv6MinimumMTU - IPv6MinimumSize - ICMPv6MinimumSize
)

// ICMPv4 types and codes.
const (
	ICMPv4EchoReply      = 0
	ICMPv4DstUnreachable = 3
	ICMPv4SrcQuench      = 4
	ICMPv4Redirect       = 5
	ICMPv4Echo           = 8
	ICMPv4TimeExceeded   = 11
	ICMPv4ParamProblem   = 12

	ICMPv4NetUnreachable      = 0 // code of ICMPv4DstUnreachable
	ICMPv4HostUnreachable     = 1 // code of ICMPv4DstUnreachable
	ICMPv4ProtoUnreachable    = 2 // code of ICMPv4DstUnreachable
	ICMPv4PortUnreachable     = 3 // code of ICMPv4DstUnreachable
	ICMPv4FragmentationNeeded = 4 // code of ICMPv4DstUnreachable
	ICMPv4TTLExceeded         = 0 // code of ICMPv4TimeExceeded
)

// ICMPv6 types and codes.
const (
	ICMPv6DstUnreachable  = 1
	ICMPv6PacketTooBig    = 2
	ICMPv6TimeExceeded    = 3
	ICMPv6ParamProblem    = 4
	ICMPv6EchoRequest     = 128
	ICMPv6EchoReply       = 129
	ICMPv6RouterSolicit   = 133
	ICMPv6RouterAdvert    = 134
	ICMPv6NeighborSolicit = 135
	ICMPv6NeighborAdvert  = 136

	ICMPv6NoRoute          = 0 // code of ICMPv6DstUnreachable
	ICMPv6AddrUnreachable  = 3 // code of ICMPv6DstUnreachable
	ICMPv6PortUnreachable  = 4 // code of ICMPv6DstUnreachable
	ICMPv6HopLimitExceeded = 0 // code of ICMPv6TimeExceeded
)

// IsICMPv4Error reports whether an ICMPv4 type is an error message that
// quotes an invoking datagram.
func IsICMPv4Error(typ uint8) bool {
	switch typ {
	case ICMPv4DstUnreachable, ICMPv4SrcQuench, ICMPv4Redirect, ICMPv4TimeExceeded, ICMPv4ParamProblem:
		return true
	}
	return false
}

// IsICMPv6Error reports whether an ICMPv6 type is an error message
// (types below 128, RFC 4443 §2.1).
func IsICMPv6Error(typ uint8) bool { return typ < 128 }

// ICMPv4 is a view of an ICMPv4 message. Accessors assume at least
// ICMPv4MinimumSize bytes.
type ICMPv4 []byte

// Type returns the message type.
func (b ICMPv4) Type() uint8 { return b[icmpType] }

// Code returns the message code.
func (b ICMPv4) Code() uint8 { return b[icmpCode] }

// Checksum returns the checksum field.
func (b ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[icmpChecksum:]) }

// Ident returns the identifier of an echo message.
func (b ICMPv4) Ident() uint16 { return binary.BigEndian.Uint16(b[icmpIdent:]) }

// Sequence returns the sequence number of an echo message.
func (b ICMPv4) Sequence() uint16 { return binary.BigEndian.Uint16(b[icmpSequence:]) }

// MTU returns the next-hop MTU of a Fragmentation Needed message.
func (b ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(b[icmpv4MTU:]) }

// Payload returns the data after the 8-byte header: for errors, the
// quoted invoking datagram.
func (b ICMPv4) Payload() []byte { return b[ICMPv4MinimumSize:] }

// SetType sets the message type.
func (b ICMPv4) SetType(v uint8) { b[icmpType] = v }

// SetCode sets the message code.
func (b ICMPv4) SetCode(v uint8) { b[icmpCode] = v }

// SetChecksum sets the checksum field.
func (b ICMPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[icmpChecksum:], v) }

// SetRest sets the 4-byte rest of header (identifier and sequence, MTU,
// or unused).
func (b ICMPv4) SetRest(v uint32) { binary.BigEndian.PutUint32(b[icmpIdent:], v) }

// CalculateChecksum returns the uncomplemented sum of the whole view,
// checksum field included.
func (b ICMPv4) CalculateChecksum() uint16 { return checksum.Checksum(b, 0) }

// IsChecksumValid reports whether the checksum of the message (the whole
// view) is correct.
func (b ICMPv4) IsChecksumValid() bool { return b.CalculateChecksum() == 0xffff }

// ICMPv4Fields describes an ICMPv4 header to [ICMPv4.Encode].
type ICMPv4Fields struct {
	Type     uint8
	Code     uint8
	Checksum uint16
	Rest     uint32 // identifier<<16|sequence, the MTU, or 0
}

// Encode writes f into the first ICMPv4MinimumSize bytes of b.
func (b ICMPv4) Encode(f *ICMPv4Fields) {
	b.SetType(f.Type)
	b.SetCode(f.Code)
	b.SetChecksum(f.Checksum)
	b.SetRest(f.Rest)
}

// ICMPv6 is a view of an ICMPv6 message. Accessors assume at least
// ICMPv6MinimumSize bytes.
type ICMPv6 []byte

// Type returns the message type.
func (b ICMPv6) Type() uint8 { return b[icmpType] }

// Code returns the message code.
func (b ICMPv6) Code() uint8 { return b[icmpCode] }

// Checksum returns the checksum field.
func (b ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(b[icmpChecksum:]) }

// Ident returns the identifier of an echo message.
func (b ICMPv6) Ident() uint16 { return binary.BigEndian.Uint16(b[icmpIdent:]) }

// Sequence returns the sequence number of an echo message.
func (b ICMPv6) Sequence() uint16 { return binary.BigEndian.Uint16(b[icmpSequence:]) }

// MTU returns the MTU of a Packet Too Big message.
func (b ICMPv6) MTU() uint32 { return binary.BigEndian.Uint32(b[icmpv6MTU:]) }

// Payload returns the data after the 8-byte header: for errors, the
// quoted invoking packet.
func (b ICMPv6) Payload() []byte { return b[ICMPv6MinimumSize:] }

// SetType sets the message type.
func (b ICMPv6) SetType(v uint8) { b[icmpType] = v }

// SetCode sets the message code.
func (b ICMPv6) SetCode(v uint8) { b[icmpCode] = v }

// SetChecksum sets the checksum field.
func (b ICMPv6) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[icmpChecksum:], v) }

// SetRest sets the 4-byte rest of header (identifier and sequence, MTU,
// pointer, or unused).
func (b ICMPv6) SetRest(v uint32) { binary.BigEndian.PutUint32(b[icmpIdent:], v) }

// UpdateChecksumPseudoHeaderAddress updates the checksum after an IPv6
// address changed from old to new (16 bytes each), as
// [TCP.UpdateChecksumPseudoHeaderAddress] does for a full checksum.
func (b ICMPv6) UpdateChecksumPseudoHeaderAddress(old, new []byte) {
	b.SetChecksum(^checksum.UpdateAddress(^b.Checksum(), old, new))
}

// CalculateChecksum returns the uncomplemented sum of the whole view,
// checksum field included, added to partial, normally the
// [PseudoHeaderChecksum] with IPProtoICMPv6.
func (b ICMPv6) CalculateChecksum(partial uint16) uint16 { return checksum.Checksum(b, partial) }

// IsChecksumValid reports whether the checksum of the message (the whole
// view) is correct for the given IPv6 addresses.
func (b ICMPv6) IsChecksumValid(src, dst []byte) bool {
	return b.CalculateChecksum(PseudoHeaderChecksum(IPProtoICMPv6, src, dst, uint16(len(b)))) == 0xffff
}

// ICMPv6Fields describes an ICMPv6 header to [ICMPv6.Encode].
type ICMPv6Fields struct {
	Type     uint8
	Code     uint8
	Checksum uint16
	Rest     uint32 // identifier<<16|sequence, the MTU, a pointer, or 0
}

// Encode writes f into the first ICMPv6MinimumSize bytes of b.
func (b ICMPv6) Encode(f *ICMPv6Fields) {
	b.SetType(f.Type)
	b.SetCode(f.Code)
	b.SetChecksum(f.Checksum)
	b.SetRest(f.Rest)
}
