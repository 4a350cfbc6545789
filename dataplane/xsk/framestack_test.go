package xsk

import "testing"

func TestFrameStack(t *testing.T) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	if f.Len() != 4 || f.Cap() != 4 {
		t.Fatalf("new stack: Len %d Cap %d, want 4 4", f.Len(), f.Cap())
	}
	var got []uint64
	for {
		a, ok := f.Pop()
		if !ok {
			break
		}
		got = append(got, a)
	}
	if want := []uint64{0, 2048, 4096, 6144}; !equal(got, want) {
		t.Fatalf("popped %v, want %v (every frame once, frame 0 first)", got, want)
	}
	// Push keeps the frame start of an address inside the frame; LIFO.
	f.Push(4096 + PacketHeadroom + 14)
	f.Push(2048)
	if a, _ := f.Pop(); a != 2048 {
		t.Errorf("Pop = %d, want the last pushed 2048", a)
	}
	if a, _ := f.Pop(); a != 4096 {
		t.Errorf("Pop = %d, want frame start 4096", a)
	}
	f.PushDescs([]Desc{{Addr: 256}, {Addr: 6144 + 300}})
	dst := make([]uint64, 8)
	if n := f.PopN(dst); n != 2 || dst[0] != 6144 || dst[1] != 0 {
		t.Errorf("PopN = %d %v, want 2 [6144 0 ...]", n, dst[:2])
	}
}

func TestFrameStackDoubleFreePanics(t *testing.T) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	defer func() {
		if r := recover(); r != errDoubleFree {
			t.Errorf("Push on a full stack: recovered %v, want errDoubleFree", r)
		}
	}()
	f.Push(0)
}

func TestFrameStackDoesNotAllocate(t *testing.T) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	dst := make([]uint64, 32)
	allocs := testing.AllocsPerRun(100, func() {
		a, _ := f.Pop()
		f.Push(a)
		n := f.PopN(dst)
		for _, a := range dst[:n] {
			f.Push(a)
		}
	})
	if allocs != 0 {
		t.Errorf("FrameStack operations allocate %v times per run", allocs)
	}
}

func BenchmarkFrameStackPopPush(b *testing.B) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 64})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	b.ReportAllocs()
	for b.Loop() {
		a, _ := f.Pop()
		f.Push(a)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
