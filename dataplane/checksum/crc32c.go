package checksum

import "hash/crc32"

// castagnoli is the CRC32c table (polynomial 0x1EDC6F41, reflected
// 0x82F63B78). hash/crc32 builds it once and, for this polynomial, uses the
// CPU's CRC32 instructions where they exist (SSE 4.2 on amd64, the CRC
// extension on arm64, the vector facility on s390x) and slicing-by-8
// tables elsewhere: the same results either way, no allocation per call.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32c returns the CRC32c (Castagnoli) of buf, as SCTP (RFC 9260 §6.8
// and appendix A) and iSCSI (RFC 3720 §12.1) define it: initial value
// and final XOR 0xFFFFFFFF, bits reflected. It allocates nothing.
func CRC32c(buf []byte) uint32 { return crc32.Update(0, castagnoli, buf) }

// UpdateCRC32c returns the CRC32c of the concatenation of the bytes that
// gave crc and buf: CRC32c(a ‖ b) = UpdateCRC32c(CRC32c(a), b). A crc of 0
// starts a new checksum.
func UpdateCRC32c(crc uint32, buf []byte) uint32 { return crc32.Update(crc, castagnoli, buf) }

// zeroWord stands for a checksum field counted as zero.
var zeroWord [4]byte

// SCTP returns the CRC32c of an SCTP packet pkt (common header and
// chunks) computed with its 4-byte checksum field (offset 8) taken as
// zero, as RFC 9260 §6.8 prescribes, without writing to pkt. The field
// holds the result in little-endian order (the CRC's bit-reflected
// convention: appendix A's "reflected" byte order). pkt must hold at
// least 12 bytes.
func SCTP(pkt []byte) uint32 {
	crc := crc32.Update(0, castagnoli, pkt[:8])
	crc = crc32.Update(crc, castagnoli, zeroWord[:])
	return crc32.Update(crc, castagnoli, pkt[12:])
}
