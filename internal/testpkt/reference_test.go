package testpkt

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/xlvs/xlvs/dataplane/checksum"
)

// TestReferenceChecksum checks RFC 1071's example (§3) and agreement with
// dataplane/checksum on random buffers of every length up to 300 bytes.
func TestReferenceChecksum(t *testing.T) {
	// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
	if got := ReferenceChecksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != ^uint16(0xddf2) {
		t.Errorf("RFC 1071 example: %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 300; n++ {
		b := make([]byte, n+2)
		for i := range b[:n] {
			b[i] = byte(r.Uint32())
		}
		if got, want := ReferenceChecksum(b[:n]), ^checksum.Checksum(b[:n], 0); got != want {
			t.Fatalf("%d bytes: %#04x, dataplane/checksum %#04x", n, got, want)
		}
		// Stored after an even-length buffer, the checksum makes it sum to 0.
		if n%2 == 0 {
			binary.BigEndian.PutUint16(b[n:], ReferenceChecksum(b[:n]))
			if got := ReferenceChecksum(b); got != 0 {
				t.Fatalf("%d bytes with their checksum: %#04x, want 0", n, got)
			}
		}
	}
}
