package handoff

import (
	"encoding/binary"
	"sync"
	"testing"
)

func TestNewRejectsBadSizes(t *testing.T) {
	for _, n := range []int{0, 1, 3, 1000} {
		if _, err := New(n); err == nil {
			t.Errorf("New(%d) succeeded, want an error", n)
		}
	}
}

func TestFullRingRefusesAndRecovers(t *testing.T) {
	r, _ := New(4)
	for i := 0; i < 4; i++ {
		if r.Reserve() == nil {
			t.Fatalf("slot %d refused on a ring of 4", i)
		}
	}
	if r.Reserve() != nil {
		t.Fatal("a fifth slot was handed out on a ring of 4")
	}
	r.Publish()
	if r.Len() != 4 {
		t.Fatalf("Len %d, want 4", r.Len())
	}
	r.Peek()
	r.Next()
	if r.Reserve() != nil {
		t.Fatal("slot reused before the consumer released it")
	}
	r.Release()
	if r.Reserve() == nil {
		t.Fatal("released slot not reusable")
	}
}

// TestSPSCOrderAndIntegrity runs a producer and a consumer on two
// goroutines; every frame must arrive once, in order, intact.
func TestSPSCOrderAndIntegrity(t *testing.T) {
	r, _ := New(64)
	const total = 200000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < total; {
			s := r.Reserve()
			if s == nil {
				r.Publish()
				continue
			}
			binary.LittleEndian.PutUint64(s.Data[:], uint64(i))
			s.Data[8] = byte(i * 7)
			s.Len = 9
			s.Link = uint16(i)
			i++
			if i%16 == 0 {
				r.Publish()
			}
		}
		r.Publish()
	}()
	for want := 0; want < total; {
		s := r.Peek()
		if s == nil {
			r.Release()
			continue
		}
		got := int(binary.LittleEndian.Uint64(s.Data[:]))
		if got != want || s.Data[8] != byte(want*7) || s.Len != 9 || s.Link != uint16(want) {
			t.Fatalf("frame %d: got seq %d len %d link %d", want, got, s.Len, s.Link)
		}
		r.Next()
		want++
		if want%8 == 0 {
			r.Release()
		}
	}
	wg.Wait()
}
