package checksum_test

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// slowChecksum is RFC 1071's definition, 16 bits at a time.
func slowChecksum(buf []byte, initial uint16) uint16 {
	s := uint32(initial)
	for i := 0; i+1 < len(buf); i += 2 {
		s += uint32(binary.BigEndian.Uint16(buf[i:]))
		s = s&0xffff + s>>16
	}
	if len(buf)%2 == 1 {
		s += uint32(buf[len(buf)-1]) << 8
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestChecksumKnownVectors(t *testing.T) {
	tests := []struct {
		name string
		buf  []byte
		want uint16
	}{
		{"empty", nil, 0},
		// RFC 1071 §3 numerical example: 0001 f203 f4f5 f6f7 → ddf2.
		{"rfc1071", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0xddf2},
		{"odd byte is high", []byte{0xab}, 0xab00},
		{"end-around carry", []byte{0xff, 0xff, 0x00, 0x01}, 0x0001},
		{"all ones", []byte{0xff, 0xff, 0xff, 0xff}, 0xffff},
		// An IPv4 header with its correct checksum (b861) sums to ffff.
		{"ipv4 header", []byte{
			0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}, 0xffff},
	}
	for _, tt := range tests {
		if got := checksum.Checksum(tt.buf, 0); got != tt.want {
			t.Errorf("%s: Checksum = %#04x, want %#04x", tt.name, got, tt.want)
		}
	}
}

// TestChecksumMatchesReference compares the 64-bit implementation with
// the 16-bit definition on every length up to 300 at every alignment.
func TestChecksumMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 308)
	for round := 0; round < 4; round++ {
		for i := range buf {
			switch round {
			case 0:
				buf[i] = byte(r.Uint32())
			case 1:
				buf[i] = 0xff // worst case for carries
			case 2:
				buf[i] = 0
			default:
				buf[i] = byte(0xf0 | r.Uint32())
			}
		}
		for off := 0; off < 8; off++ {
			for n := 0; n <= 300; n++ {
				initial := uint16(r.Uint32())
				b := buf[off : off+n]
				if got, want := checksum.Checksum(b, initial), slowChecksum(b, initial); got != want {
					t.Fatalf("round %d off %d len %d initial %#x: got %#04x, want %#04x", round, off, n, initial, got, want)
				}
			}
		}
	}
}

func TestCombine(t *testing.T) {
	tests := []struct{ a, b, want uint16 }{
		{0, 0, 0},
		{0xffff, 1, 1},
		{0xffff, 0xffff, 0xffff},
		{0x8000, 0x8000, 1},
		{0x1234, 0x4321, 0x5555},
	}
	for _, tt := range tests {
		if got := checksum.Combine(tt.a, tt.b); got != tt.want {
			t.Errorf("Combine(%#x, %#x) = %#x, want %#x", tt.a, tt.b, got, tt.want)
		}
	}
	// Sums of the two halves of a buffer split at an even offset combine
	// into the sum of the whole.
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 101)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	whole := checksum.Checksum(buf, 0)
	for split := 0; split <= len(buf); split += 2 {
		got := checksum.Combine(checksum.Checksum(buf[:split], 0), checksum.Checksum(buf[split:], 0))
		if got != whole {
			t.Fatalf("split at %d: combined %#x, whole %#x", split, got, whole)
		}
	}
}

// TestUpdateMatchesRecompute changes 16-bit, 32-bit and address fields of
// random buffers and compares the updated sum with a recomputation.
func TestUpdateMatchesRecompute(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 64)
	for i := 0; i < 20000; i++ {
		for j := range buf {
			buf[j] = byte(r.Uint32())
		}
		buf[0] |= 1 // never all zero: see Checksum's doc
		off := 2 + 2*r.IntN(20)
		sum := checksum.Checksum(buf, 0)
		var got uint16
		switch i % 4 {
		case 0:
			old, nw := binary.BigEndian.Uint16(buf[off:]), uint16(r.Uint32())
			if i%8 == 0 {
				nw = ^old // stress the 0/ffff representations
			}
			binary.BigEndian.PutUint16(buf[off:], nw)
			got = checksum.Update(sum, old, nw)
		case 1:
			old, nw := binary.BigEndian.Uint32(buf[off:]), r.Uint32()
			binary.BigEndian.PutUint32(buf[off:], nw)
			got = checksum.Update32(sum, old, nw)
		case 2, 3:
			n := 4
			if i%4 == 3 {
				n = 16
			}
			old := append([]byte(nil), buf[off:off+n]...)
			nw := make([]byte, n)
			for j := range nw {
				nw[j] = byte(r.Uint32())
			}
			copy(buf[off:], nw)
			got = checksum.UpdateAddress(sum, old, nw)
		}
		if want := checksum.Checksum(buf, 0); got != want {
			t.Fatalf("iteration %d: updated sum %#04x, recomputed %#04x", i, got, want)
		}
	}
}

func TestUpdateIsEquation3(t *testing.T) {
	// RFC 1624 §4's example: HC = 0xdd2f, m = 0x5555 → m' = 0x3285 gives
	// HC' = 0x0000 by equation 3 (and 0xffff by equation 2, wrongly).
	if got := ^checksum.Update(^uint16(0xdd2f), 0x5555, 0x3285); got != 0x0000 {
		t.Errorf("RFC 1624 example: HC' = %#04x, want 0x0000", got)
	}
}

func TestNoAllocs(t *testing.T) {
	buf := make([]byte, 1500)
	a, b := make([]byte, 16), make([]byte, 16)
	var sink uint16
	allocs := testing.AllocsPerRun(100, func() {
		sink += checksum.Checksum(buf, sink)
		sink = checksum.UpdateAddress(sink, a, b)
		sink = checksum.Update(sink, 1, 2)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{20, 64, 1500} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			var s uint16
			for b.Loop() {
				s = checksum.Checksum(buf, s)
			}
			_ = s
		})
	}
}

func BenchmarkUpdateAddress(b *testing.B) {
	old := []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	nw := []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
	for _, n := range []int{4, 16} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			var s uint16
			for b.Loop() {
				s = checksum.UpdateAddress(s, old[:n], nw[:n])
			}
			_ = s
		})
	}
}
