package header

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// TCP header (RFC 9293 §3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        Sequence Number                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Acknowledgment Number                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Data |       |C|E|U|A|P|R|S|F|                               |
//	| Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//	|       |       |R|E|G|K|H|T|N|N|                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |         Urgent Pointer        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           [Options]                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	tcpSrcPort    = 0
	tcpDstPort    = 2
	tcpSeqNum     = 4
	tcpAckNum     = 8
	tcpDataOffset = 12
	tcpFlags      = 13
	tcpWindow     = 14
	tcpChecksum   = 16
	tcpUrgentPtr  = 18
	tcpOptions    = 20
)

// TCP sizes.
const (
	// TCPMinimumSize is the size of a TCP header without options.
	TCPMinimumSize = 20
	// TCPMaximumHeaderSize is the size of a TCP header with 40 bytes of
	// options (data offset 15).
	TCPMaximumHeaderSize = 60
	// TCPChecksumOffset is the offset of the checksum field, for
	// checksum offload descriptors.
	TCPChecksumOffset = tcpChecksum
)

// TCP flags, as returned by [TCP.Flags].
const (
	TCPFlagFin = 1 << 0
	TCPFlagSyn = 1 << 1
	TCPFlagRst = 1 << 2
	TCPFlagPsh = 1 << 3
	TCPFlagAck = 1 << 4
	TCPFlagUrg = 1 << 5
	TCPFlagEce = 1 << 6
	TCPFlagCwr = 1 << 7
)

// TCP is a view of a TCP header and, when the slice is longer, its
// payload. Accessors assume at least TCPMinimumSize bytes (and DataOffset
// bytes for [TCP.Options] and [TCP.Payload]); check [TCP.IsValid] once.
type TCP []byte

// IsValid reports whether the view holds a TCP segment of pktSize bytes
// (pktSize ≤ len) whose data offset is at least 20 and within pktSize.
func (b TCP) IsValid(pktSize int) bool {
	if len(b) < TCPMinimumSize || pktSize > len(b) || pktSize < TCPMinimumSize {
		return false
	}
	off := int(b.DataOffset())
	return off >= TCPMinimumSize && off <= pktSize
}

// SourcePort returns the source port.
func (b TCP) SourcePort() uint16 { return binary.BigEndian.Uint16(b[tcpSrcPort:]) }

// DestinationPort returns the destination port.
func (b TCP) DestinationPort() uint16 { return binary.BigEndian.Uint16(b[tcpDstPort:]) }

// SequenceNumber returns the sequence number.
func (b TCP) SequenceNumber() uint32 { return binary.BigEndian.Uint32(b[tcpSeqNum:]) }

// AckNumber returns the acknowledgment number.
func (b TCP) AckNumber() uint32 { return binary.BigEndian.Uint32(b[tcpAckNum:]) }

// DataOffset returns the header length in bytes (data offset × 4).
func (b TCP) DataOffset() uint8 { return (b[tcpDataOffset] >> 4) * 4 }

// Flags returns the flags byte (TCPFlagFin ... TCPFlagCwr).
func (b TCP) Flags() uint8 { return b[tcpFlags] }

// WindowSize returns the window field.
func (b TCP) WindowSize() uint16 { return binary.BigEndian.Uint16(b[tcpWindow:]) }

// Checksum returns the checksum field.
func (b TCP) Checksum() uint16 { return binary.BigEndian.Uint16(b[tcpChecksum:]) }

// UrgentPointer returns the urgent pointer.
func (b TCP) UrgentPointer() uint16 { return binary.BigEndian.Uint16(b[tcpUrgentPtr:]) }

// Options returns the options, a slice of the view.
func (b TCP) Options() []byte { return b[tcpOptions:b.DataOffset()] }

// Payload returns the bytes after the header to the end of the view.
func (b TCP) Payload() []byte { return b[b.DataOffset():] }

// SetSourcePort sets the source port.
func (b TCP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(b[tcpSrcPort:], p) }

// SetDestinationPort sets the destination port.
func (b TCP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(b[tcpDstPort:], p) }

// SetSequenceNumber sets the sequence number.
func (b TCP) SetSequenceNumber(v uint32) { binary.BigEndian.PutUint32(b[tcpSeqNum:], v) }

// SetAckNumber sets the acknowledgment number.
func (b TCP) SetAckNumber(v uint32) { binary.BigEndian.PutUint32(b[tcpAckNum:], v) }

// SetDataOffset sets the header length in bytes (a multiple of 4).
func (b TCP) SetDataOffset(n uint8) { b[tcpDataOffset] = (n / 4) << 4 }

// SetFlags sets the flags byte.
func (b TCP) SetFlags(f uint8) { b[tcpFlags] = f }

// SetWindowSize sets the window field.
func (b TCP) SetWindowSize(v uint16) { binary.BigEndian.PutUint16(b[tcpWindow:], v) }

// SetChecksum sets the checksum field.
func (b TCP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[tcpChecksum:], v) }

// SetUrgentPointer sets the urgent pointer.
func (b TCP) SetUrgentPointer(v uint16) { binary.BigEndian.PutUint16(b[tcpUrgentPtr:], v) }

// SetSourcePortWithChecksumUpdate sets the source port and updates a full
// checksum incrementally (RFC 1624). Ports are not in the pseudo-header:
// when the field holds a partial (offload) checksum, use SetSourcePort.
func (b TCP) SetSourcePortWithChecksumUpdate(p uint16) {
	b.SetChecksum(^checksum.Update(^b.Checksum(), b.SourcePort(), p))
	b.SetSourcePort(p)
}

// SetDestinationPortWithChecksumUpdate sets the destination port and
// updates a full checksum incrementally (RFC 1624); see
// [TCP.SetSourcePortWithChecksumUpdate] for the partial case.
func (b TCP) SetDestinationPortWithChecksumUpdate(p uint16) {
	b.SetChecksum(^checksum.Update(^b.Checksum(), b.DestinationPort(), p))
	b.SetDestinationPort(p)
}

// UpdateChecksumPseudoHeaderAddress updates the checksum after an address
// of the pseudo-header changed from old to new (both 4 or both 16 bytes;
// pass copies, not slices of a header that is being rewritten). With
// fullChecksum the field holds the complemented sum of the segment; without
// it the field holds a partial checksum, the uncomplemented pseudo-header
// sum that checksum offload leaves for the device to finish (Linux
// CHECKSUM_PARTIAL, as veth traffic from local sockets carries).
func (b TCP) UpdateChecksumPseudoHeaderAddress(old, new []byte, fullChecksum bool) {
	xsum := b.Checksum()
	if fullChecksum {
		xsum = ^checksum.UpdateAddress(^xsum, old, new)
	} else {
		xsum = checksum.UpdateAddress(xsum, old, new)
	}
	b.SetChecksum(xsum)
}

// CalculateChecksum returns the uncomplemented sum of the whole view
// (header and payload, checksum field included) added to partial,
// normally the [PseudoHeaderChecksum]. The view must end where the
// segment ends.
func (b TCP) CalculateChecksum(partial uint16) uint16 { return checksum.Checksum(b, partial) }

// IsChecksumValid reports whether the checksum of the segment (the whole
// view) is correct for the given pseudo-header addresses.
func (b TCP) IsChecksumValid(src, dst []byte) bool {
	return b.CalculateChecksum(PseudoHeaderChecksum(IPProtoTCP, src, dst, uint16(len(b)))) == 0xffff
}

// TCPFields describes a TCP header to [TCP.Encode].
type TCPFields struct {
	SrcPort       uint16
	DstPort       uint16
	SeqNum        uint32
	AckNum        uint32
	DataOffset    uint8 // header length in bytes; TCPMinimumSize if 0
	Flags         uint8
	WindowSize    uint16
	Checksum      uint16
	UrgentPointer uint16
}

// Encode writes f into the first TCPMinimumSize bytes of b. Options, if
// any, are the caller's to write after it.
func (b TCP) Encode(f *TCPFields) {
	b.SetSourcePort(f.SrcPort)
	b.SetDestinationPort(f.DstPort)
	b.SetSequenceNumber(f.SeqNum)
	b.SetAckNumber(f.AckNum)
	off := f.DataOffset
	if off == 0 {
		off = TCPMinimumSize
	}
	b.SetDataOffset(off)
	b.SetFlags(f.Flags)
	b.SetWindowSize(f.WindowSize)
	b.SetChecksum(f.Checksum)
	b.SetUrgentPointer(f.UrgentPointer)
}
