package checksum

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"testing"
)

// crc32cBitwise is the bit-at-a-time definition of CRC32c (reflected
// polynomial 0x82F63B78): the reference the fast path is checked against.
func crc32cBitwise(buf []byte) uint32 {
	crc := ^uint32(0)
	for _, b := range buf {
		crc ^= uint32(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x82F63B78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// TestCRC32cRFC3720Vectors checks the test vectors of RFC 3720 appendix
// B.4 (iSCSI's CRC32c examples), whose "CRC" bytes are the value as it is
// sent: least significant byte first.
func TestCRC32cRFC3720Vectors(t *testing.T) {
	seq := func(f func(i int) byte) []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = f(i)
		}
		return b
	}
	readPDU := []byte{
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	}
	tests := []struct {
		name string
		in   []byte
		sent [4]byte // the CRC bytes as RFC 3720 prints them
	}{
		{"32 bytes of zeros", seq(func(int) byte { return 0 }), [4]byte{0xaa, 0x36, 0x91, 0x8a}},
		{"32 bytes of ones", seq(func(int) byte { return 0xff }), [4]byte{0x43, 0xab, 0xa8, 0x62}},
		{"32 incrementing bytes", seq(func(i int) byte { return byte(i) }), [4]byte{0x4e, 0x79, 0xdd, 0x46}},
		{"32 decrementing bytes", seq(func(i int) byte { return byte(31 - i) }), [4]byte{0x5c, 0xdb, 0x3f, 0x11}},
		{"iSCSI read PDU", readPDU, [4]byte{0x56, 0x3a, 0x96, 0xd9}},
	}
	for _, tt := range tests {
		want := binary.LittleEndian.Uint32(tt.sent[:])
		if got := CRC32c(tt.in); got != want {
			t.Errorf("%s: CRC32c = %#08x, want %#08x", tt.name, got, want)
		}
		if got := crc32cBitwise(tt.in); got != want {
			t.Errorf("%s: bitwise reference = %#08x, want %#08x (the reference is wrong)", tt.name, got, want)
		}
	}
	// The catalogue check value of CRC-32C.
	if got := CRC32c([]byte("123456789")); got != 0xe3069283 {
		t.Errorf(`CRC32c("123456789") = %#08x, want 0xe3069283`, got)
	}
}

// TestCRC32cMatchesBitwiseAndSplits compares every length up to 300 (the
// hardware and table paths switch at several sizes and alignments) with
// the bitwise definition, and checks that UpdateCRC32c chains.
func TestCRC32cMatchesBitwiseAndSplits(t *testing.T) {
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*131 + i>>3)
	}
	for n := 0; n <= len(buf); n++ {
		for _, off := range []int{0, 1, 3} {
			if off > n {
				continue
			}
			b := buf[off:n]
			want := crc32cBitwise(b)
			if got := CRC32c(b); got != want {
				t.Fatalf("len %d off %d: CRC32c = %#08x, bitwise %#08x", len(b), off, got, want)
			}
			split := len(b) / 3
			if got := UpdateCRC32c(CRC32c(b[:split]), b[split:]); got != want {
				t.Fatalf("len %d split %d: chained %#08x, want %#08x", len(b), split, got, want)
			}
		}
	}
}

// TestSCTPChecksumIgnoresField: the SCTP checksum is the CRC32c with the
// field zeroed, whatever the field holds, and pkt is left alone.
func TestSCTPChecksumIgnoresField(t *testing.T) {
	pkt := []byte{
		0x0f, 0xa0, 0x0f, 0xa1, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x00, 0x00, 0x14, 0x11, 0x22, 0x33, 0x44, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01,
	}
	orig := bytes.Clone(pkt)
	zeroed := bytes.Clone(pkt)
	clear(zeroed[8:12])
	if got, want := SCTP(pkt), crc32cBitwise(zeroed); got != want {
		t.Errorf("SCTP = %#08x, want %#08x", got, want)
	}
	if !bytes.Equal(pkt, orig) {
		t.Errorf("SCTP wrote to its input")
	}
}

func TestCRC32cAllocatesNothing(t *testing.T) {
	buf := make([]byte, 1500)
	if n := testing.AllocsPerRun(100, func() { _ = SCTP(buf); _ = CRC32c(buf) }); n != 0 {
		t.Errorf("%.1f allocations per run, want 0", n)
	}
}

func BenchmarkCRC32c(b *testing.B) {
	for _, size := range []int{64, 512, 1500, 9000} {
		buf := make([]byte, size)
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = SCTP(buf)
			}
		})
	}
}
