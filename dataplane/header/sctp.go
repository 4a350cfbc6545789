package header

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// SCTP common header (RFC 9260 §3.1), followed by chunks (§3.2):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Source Port Number        |     Destination Port Number   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Verification Tag                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           Checksum                            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Chunk Type  | Chunk  Flags  |        Chunk Length           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	\                          Chunk Value                          \
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum is the CRC32c of the whole packet (no pseudo-header) with
// the field taken as zero, stored least significant byte first (§6.8,
// appendix A). A chunk's length counts its header and value but not the
// padding to a multiple of 4 that follows it.
const (
	sctpSrcPort  = 0
	sctpDstPort  = 2
	sctpVTag     = 4
	sctpChecksum = 8
)

// SCTP sizes.
const (
	// SCTPMinimumSize is the size of the SCTP common header.
	SCTPMinimumSize = 12
	// SCTPChunkHeaderSize is the size of a chunk header: type, flags,
	// length.
	SCTPChunkHeaderSize = 4
)

// SCTP chunk types (RFC 9260 §3.2, RFC 3758, RFC 4895, RFC 5061).
const (
	SCTPChunkData             = 0
	SCTPChunkInit             = 1
	SCTPChunkInitAck          = 2
	SCTPChunkSack             = 3
	SCTPChunkHeartbeat        = 4
	SCTPChunkHeartbeatAck     = 5
	SCTPChunkAbort            = 6
	SCTPChunkShutdown         = 7
	SCTPChunkShutdownAck      = 8
	SCTPChunkError            = 9
	SCTPChunkCookieEcho       = 10
	SCTPChunkCookieAck        = 11
	SCTPChunkECNE             = 12
	SCTPChunkCWR              = 13
	SCTPChunkShutdownComplete = 14
	SCTPChunkAuth             = 15
	SCTPChunkASCONFAck        = 0x80
	SCTPChunkForwardTSN       = 0xc0
	SCTPChunkASCONF           = 0xc1
)

// SCTP is a view of an SCTP packet: the common header and the chunks
// after it. Accessors assume at least SCTPMinimumSize bytes (the chunk
// accessors SCTPMinimumSize+SCTPChunkHeaderSize); package packet checks
// that once.
type SCTP []byte

// SourcePort returns the source port.
func (b SCTP) SourcePort() uint16 { return binary.BigEndian.Uint16(b[sctpSrcPort:]) }

// DestinationPort returns the destination port.
func (b SCTP) DestinationPort() uint16 { return binary.BigEndian.Uint16(b[sctpDstPort:]) }

// VerificationTag returns the verification tag.
func (b SCTP) VerificationTag() uint32 { return binary.BigEndian.Uint32(b[sctpVTag:]) }

// Checksum returns the checksum field as the CRC32c value it holds (the
// field is stored least significant byte first).
func (b SCTP) Checksum() uint32 { return binary.LittleEndian.Uint32(b[sctpChecksum:]) }

// SetChecksum stores crc in the checksum field.
func (b SCTP) SetChecksum(crc uint32) { binary.LittleEndian.PutUint32(b[sctpChecksum:], crc) }

// CalculateChecksum returns the CRC32c of the packet computed with the
// checksum field as zero, without writing to it.
func (b SCTP) CalculateChecksum() uint32 { return checksum.SCTP(b) }

// IsChecksumValid reports whether the checksum field matches the packet.
func (b SCTP) IsChecksumValid() bool { return b.CalculateChecksum() == b.Checksum() }

// SetSourcePort sets the source port. The checksum is not updated: see
// [SCTP.SetPortWithChecksumUpdate].
func (b SCTP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(b[sctpSrcPort:], p) }

// SetDestinationPort sets the destination port; the checksum is not
// updated.
func (b SCTP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(b[sctpDstPort:], p) }

// SetPortWithChecksumUpdate sets the source port (src) or the destination
// port to p and updates the checksum. A CRC has no cheap incremental
// update, so the packet is summed twice, before and after the change, and
// the new field keeps the old one's error: new = CRC(new packet) XOR
// (CRC(old packet) XOR old field). A packet that arrived intact leaves
// with a correct checksum; one that was corrupted on the way still fails
// the receiver's check, as it would have without the rewrite (a plain
// recomputation would bless it). Nothing is done when the port does not
// change.
func (b SCTP) SetPortWithChecksumUpdate(src bool, p uint16) {
	off := sctpDstPort
	if src {
		off = sctpSrcPort
	}
	if binary.BigEndian.Uint16(b[off:]) == p {
		return
	}
	syndrome := b.CalculateChecksum() ^ b.Checksum()
	binary.BigEndian.PutUint16(b[off:], p)
	b.SetChecksum(b.CalculateChecksum() ^ syndrome)
}

// ChunkType returns the type of the first chunk.
func (b SCTP) ChunkType() uint8 { return b[SCTPMinimumSize] }

// ChunkFlags returns the flags of the first chunk.
func (b SCTP) ChunkFlags() uint8 { return b[SCTPMinimumSize+1] }

// ChunkLength returns the length field of the first chunk (header and
// value, without padding).
func (b SCTP) ChunkLength() uint16 { return binary.BigEndian.Uint16(b[SCTPMinimumSize+2:]) }

// SCTPChunk is the header of one chunk, for building packets.
type SCTPChunk struct {
	Type   uint8
	Flags  uint8
	Value  []byte // the chunk's value; its length sets the length field
	Length int    // when non-zero, overrides the length field
}

// AppendSCTPChunk appends chunk c to b, with the padding to a multiple of
// 4 bytes, and returns the extended slice. For tests and packet builders;
// it allocates when b has no room.
func AppendSCTPChunk(b []byte, c SCTPChunk) []byte {
	n := SCTPChunkHeaderSize + len(c.Value)
	l := n
	if c.Length != 0 {
		l = c.Length
	}
	b = append(b, c.Type, c.Flags, byte(l>>8), byte(l))
	b = append(b, c.Value...)
	for ; n%4 != 0; n++ {
		b = append(b, 0)
	}
	return b
}
