package bigmem

import (
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestSliceIsLazyAndZero checks what the connection tables rely on: a
// mapped slice reads as zeros, costs no resident memory until touched,
// and costs about what was touched afterwards.
func TestSliceIsLazyAndZero(t *testing.T) {
	for _, huge := range []bool{false, true} {
		s, r := Slice[uint64](4<<20, huge) // 32 MiB
		if r.Bytes() == nil {
			t.Fatal("no mapping for a 32 MiB slice")
		}
		if got, _ := Resident(r.Bytes()); got != 0 {
			t.Errorf("huge=%v: %d bytes resident before any touch", huge, got)
		}
		if s[0] != 0 || s[len(s)-1] != 0 {
			t.Fatal("fresh mapping is not zero")
		}
		for i := 0; i < len(s)/4; i += 512 { // write the first quarter, one word per 4 KiB
			s[i] = uint64(i)
		}
		got, err := Resident(r.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		want := len(s) * 8 / 4
		// Huge pages back whole 2 MiB units: at most one more than written.
		if got < want || got > want+HugePageSize {
			t.Errorf("huge=%v: %d bytes resident after writing %d", huge, got, want)
		}
		if huge && r.Huge && uintptr(unsafe.Pointer(&s[0]))%HugePageSize != 0 {
			t.Error("huge region not aligned to 2 MiB")
		}
		if err := r.Free(); err != nil {
			t.Fatal(err)
		}
		if err := r.Free(); err != nil {
			t.Fatalf("second Free: %v", err)
		}
	}
}

// TestHugeAdvice checks that the kernel took MADV_HUGEPAGE when THP is
// available (enabled "always" or "madvise").
func TestHugeAdvice(t *testing.T) {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(b), "[never]") {
		t.Skip("transparent huge pages are not available")
	}
	_, r := Slice[byte](8<<20, true)
	defer r.Free()
	if !r.Huge {
		t.Fatal("MADV_HUGEPAGE refused with THP available")
	}
}

func TestSmallSliceUsesHeap(t *testing.T) {
	s, r := Slice[uint32](100, true)
	if len(s) != 100 || r.Bytes() != nil {
		t.Fatalf("small slice: len %d, region %d bytes", len(s), len(r.Bytes()))
	}
	if s, r := Slice[uint32](0, true); len(s) != 0 || r.Bytes() != nil {
		t.Fatal("empty slice mapped")
	}
}
