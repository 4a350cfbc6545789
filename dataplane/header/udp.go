package header

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// UDP header (RFC 768):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            Length             |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A checksum field of 0 means the sender computed none (allowed over
// IPv4 only); a computed checksum of 0 is therefore sent as 0xffff. The
// incremental setters keep both rules: they leave a zero field alone and
// turn a zero result into 0xffff.
const (
	udpSrcPort  = 0
	udpDstPort  = 2
	udpLength   = 4
	udpChecksum = 6
)

// UDP sizes.
const (
	// UDPMinimumSize is the size of the UDP header.
	UDPMinimumSize = 8
	// UDPChecksumOffset is the offset of the checksum field, for checksum
	// offload descriptors.
	UDPChecksumOffset = udpChecksum
)

// UDP is a view of a UDP header and, when the slice is longer, its
// payload. Accessors assume at least UDPMinimumSize bytes; check
// [UDP.IsValid] once.
type UDP []byte

// IsValid reports whether the view holds a UDP datagram with pktSize
// bytes available (pktSize ≤ len): the length field at least 8 and not
// beyond pktSize.
func (b UDP) IsValid(pktSize int) bool {
	if len(b) < UDPMinimumSize || pktSize > len(b) {
		return false
	}
	n := int(b.Length())
	return n >= UDPMinimumSize && n <= pktSize
}

// SourcePort returns the source port.
func (b UDP) SourcePort() uint16 { return binary.BigEndian.Uint16(b[udpSrcPort:]) }

// DestinationPort returns the destination port.
func (b UDP) DestinationPort() uint16 { return binary.BigEndian.Uint16(b[udpDstPort:]) }

// Length returns the length field (header and payload).
func (b UDP) Length() uint16 { return binary.BigEndian.Uint16(b[udpLength:]) }

// Checksum returns the checksum field.
func (b UDP) Checksum() uint16 { return binary.BigEndian.Uint16(b[udpChecksum:]) }

// Payload returns the bytes after the header up to the length field.
func (b UDP) Payload() []byte { return b[UDPMinimumSize:b.Length()] }

// SetSourcePort sets the source port.
func (b UDP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(b[udpSrcPort:], p) }

// SetDestinationPort sets the destination port.
func (b UDP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(b[udpDstPort:], p) }

// SetLength sets the length field.
func (b UDP) SetLength(v uint16) { binary.BigEndian.PutUint16(b[udpLength:], v) }

// SetChecksum sets the checksum field.
func (b UDP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[udpChecksum:], v) }

// setFullChecksum stores an incrementally updated full checksum, sending
// a computed 0 as 0xffff.
func (b UDP) setFullChecksum(s uint16) {
	if s == 0 {
		s = 0xffff
	}
	b.SetChecksum(s)
}

// SetSourcePortWithChecksumUpdate sets the source port and updates a full
// checksum incrementally (RFC 1624), leaving a zero (absent) checksum
// zero. For a partial (offload) checksum, use SetSourcePort.
func (b UDP) SetSourcePortWithChecksumUpdate(p uint16) {
	if c := b.Checksum(); c != 0 {
		b.setFullChecksum(^checksum.Update(^c, b.SourcePort(), p))
	}
	b.SetSourcePort(p)
}

// SetDestinationPortWithChecksumUpdate sets the destination port and
// updates a full checksum incrementally, like
// [UDP.SetSourcePortWithChecksumUpdate].
func (b UDP) SetDestinationPortWithChecksumUpdate(p uint16) {
	if c := b.Checksum(); c != 0 {
		b.setFullChecksum(^checksum.Update(^c, b.DestinationPort(), p))
	}
	b.SetDestinationPort(p)
}

// UpdateChecksumPseudoHeaderAddress updates the checksum after an address
// of the pseudo-header changed from old to new, as
// [TCP.UpdateChecksumPseudoHeaderAddress] does; with fullChecksum, a zero
// (absent) checksum stays zero and a zero result becomes 0xffff.
func (b UDP) UpdateChecksumPseudoHeaderAddress(old, new []byte, fullChecksum bool) {
	c := b.Checksum()
	switch {
	case !fullChecksum:
		b.SetChecksum(checksum.UpdateAddress(c, old, new))
	case c != 0:
		b.setFullChecksum(^checksum.UpdateAddress(^c, old, new))
	}
}

// CalculateChecksum returns the uncomplemented sum of the whole view
// (header and payload, checksum field included) added to partial,
// normally the [PseudoHeaderChecksum]. The view must end where the
// datagram ends.
func (b UDP) CalculateChecksum(partial uint16) uint16 { return checksum.Checksum(b, partial) }

// IsChecksumValid reports whether the checksum of the datagram (the whole
// view) is correct for the given pseudo-header addresses. A zero checksum
// over IPv4 (4-byte addresses) means "none" and is valid; over IPv6 it is
// not (RFC 8200 §8.1).
func (b UDP) IsChecksumValid(src, dst []byte) bool {
	if b.Checksum() == 0 {
		return len(src) == IPv4AddressSize
	}
	return b.CalculateChecksum(PseudoHeaderChecksum(IPProtoUDP, src, dst, uint16(len(b)))) == 0xffff
}

// UDPFields describes a UDP header to [UDP.Encode].
type UDPFields struct {
	SrcPort  uint16
	DstPort  uint16
	Length   uint16
	Checksum uint16
}

// Encode writes f into the first UDPMinimumSize bytes of b.
func (b UDP) Encode(f *UDPFields) {
	b.SetSourcePort(f.SrcPort)
	b.SetDestinationPort(f.DstPort)
	b.SetLength(f.Length)
	b.SetChecksum(f.Checksum)
}
