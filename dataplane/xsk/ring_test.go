package xsk

import (
	"math/rand/v2"
	"testing"
)

// fakeIndexes stands for the kernel's side of a ring: the shared producer,
// consumer and flags words.
type fakeIndexes struct{ prod, cons, flags uint32 }

// newFakeFill returns a fill ring of size entries over Go memory, whose
// indexes start at start (to exercise wrap-around of the uint32 counters).
func newFakeFill(size, start uint32) (*FillQueue, *fakeIndexes) {
	k := &fakeIndexes{prod: start, cons: start}
	q := &FillQueue{addrs: make([]uint64, size)}
	q.r.attach(&k.prod, &k.cons, &k.flags, size)
	return q, k
}

func newFakeCompletion(size, start uint32) (*CompletionQueue, *fakeIndexes) {
	k := &fakeIndexes{prod: start, cons: start}
	q := &CompletionQueue{addrs: make([]uint64, size)}
	q.r.attach(&k.prod, &k.cons, &k.flags, size)
	return q, k
}

func newFakeRX(size, start uint32) (*RXQueue, *fakeIndexes) {
	k := &fakeIndexes{prod: start, cons: start}
	q := &RXQueue{descs: make([]Desc, size)}
	q.r.attach(&k.prod, &k.cons, &k.flags, size)
	return q, k
}

func newFakeTX(size, start uint32) (*TXQueue, *fakeIndexes) {
	k := &fakeIndexes{prod: start, cons: start}
	q := &TXQueue{descs: make([]Desc, size), fd: -1, needWakeup: true}
	q.r.attach(&k.prod, &k.cons, &k.flags, size)
	return q, k
}

// TestFillQueueModel drives a fill ring and a fake kernel consumer with
// random batch sizes and checks every address against a FIFO model,
// across the wrap-around of the 32-bit indexes.
func TestFillQueueModel(t *testing.T) {
	const size = 16
	q, k := newFakeFill(size, ^uint32(0)-40)
	rng := rand.New(rand.NewPCG(1, 2))
	var model []uint64 // addresses on the ring, oldest first
	next := uint64(0)
	for step := range 20000 {
		if rng.IntN(2) == 0 {
			batch := make([]uint64, rng.IntN(2*size))
			for i := range batch {
				batch[i] = next + uint64(i)
			}
			n := q.Produce(batch)
			want := min(len(batch), size-len(model))
			if n != want {
				t.Fatalf("step %d: Produce(%d) = %d with %d on the ring, want %d", step, len(batch), n, len(model), want)
			}
			model = append(model, batch[:n]...)
			next += uint64(n)
		} else {
			// The kernel consumes some entries.
			avail := k.prod - k.cons
			take := uint32(rng.IntN(int(avail) + 1))
			for i := range take {
				got := q.addrs[(k.cons+i)&(size-1)]
				if got != model[i] {
					t.Fatalf("step %d: kernel read %d, want %d", step, got, model[i])
				}
			}
			model = model[take:]
			k.cons += take
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: Len() = %d, want %d", step, q.Len(), len(model))
		}
	}
	if next < 10*size {
		t.Fatalf("only %d addresses went through", next)
	}
}

// TestRXQueueModel does the same for the consumer side: a fake kernel
// produces descriptors, Receive must return them in order, once.
func TestRXQueueModel(t *testing.T) {
	const size = 32
	q, k := newFakeRX(size, ^uint32(0)-100)
	rng := rand.New(rand.NewPCG(3, 4))
	var model []Desc
	next := uint64(0)
	out := make([]Desc, 2*size)
	for step := range 20000 {
		if rng.IntN(2) == 0 {
			free := size - (k.prod - k.cons)
			put := uint32(rng.IntN(int(free) + 1))
			for i := range put {
				d := Desc{Addr: next * 2048, Len: uint32(next), Options: 0}
				q.descs[(k.prod+i)&(size-1)] = d
				model = append(model, d)
				next++
			}
			k.prod += put
		} else {
			want := rng.IntN(2 * size)
			n := q.Receive(out[:want])
			if n != min(want, len(model)) {
				t.Fatalf("step %d: Receive(%d) = %d with %d waiting", step, want, n, len(model))
			}
			for i := range n {
				if out[i] != model[i] {
					t.Fatalf("step %d: desc %d = %+v, want %+v", step, i, out[i], model[i])
				}
			}
			model = model[n:]
			if k.cons != q.r.cachedCons {
				t.Fatalf("step %d: consumer index %d not published (cached %d)", step, k.cons, q.r.cachedCons)
			}
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: Len() = %d, want %d", step, q.Len(), len(model))
		}
	}
}

func TestTXQueueTransmit(t *testing.T) {
	q, k := newFakeTX(8, 0)
	descs := make([]Desc, 10)
	for i := range descs {
		descs[i] = Desc{Addr: uint64(i) * 2048, Len: 60 + uint32(i)}
	}
	if n := q.Transmit(descs); n != 8 {
		t.Fatalf("Transmit(10) on an empty ring of 8 = %d, want 8", n)
	}
	if k.prod != 8 || q.Len() != 8 || q.Free() != 0 {
		t.Fatalf("after Transmit: producer %d, Len %d, Free %d; want 8, 8, 0", k.prod, q.Len(), q.Free())
	}
	if n := q.Transmit(descs[8:]); n != 0 {
		t.Fatalf("Transmit on a full ring = %d, want 0", n)
	}
	k.cons += 3 // the kernel sent three
	if q.Len() != 5 || q.Free() != 3 {
		t.Fatalf("after the kernel took 3: Len %d, Free %d; want 5, 3", q.Len(), q.Free())
	}
	if n := q.Transmit(descs[8:]); n != 2 {
		t.Fatalf("Transmit(2) with 3 free = %d, want 2", n)
	}
	// Entries 8 and 9 wrapped around into slots 0 and 1.
	for slot, want := range []Desc{descs[8], descs[9], descs[2], descs[3], descs[4], descs[5], descs[6], descs[7]} {
		if q.descs[slot] != want {
			t.Errorf("slot %d = %+v, want %+v", slot, q.descs[slot], want)
		}
	}
	// NeedWakeup follows the kernel's flag when need_wakeup is in use.
	if q.NeedWakeup() {
		t.Error("NeedWakeup() with the flag clear = true")
	}
	k.flags = ringNeedWakeup
	if !q.NeedWakeup() {
		t.Error("NeedWakeup() with the flag set = false")
	}
	q.needWakeup = false
	k.flags = 0
	if !q.NeedWakeup() {
		t.Error("NeedWakeup() without need_wakeup mode = false, want always true")
	}
}

func TestCompletionQueueConsume(t *testing.T) {
	q, k := newFakeCompletion(4, ^uint32(0)-1)
	for i, a := range []uint64{2048 + 256, 0, 3 * 2048} {
		q.addrs[(k.prod+uint32(i))&3] = a
	}
	k.prod += 3
	if q.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", q.Len())
	}
	var out [2]uint64
	if n := q.Consume(out[:]); n != 2 || out != [2]uint64{2048 + 256, 0} {
		t.Fatalf("Consume(2) = %d %v, want 2 [2304 0]", n, out)
	}
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	f.PopN(make([]uint64, 4))
	if n := q.ConsumeTo(f); n != 1 || f.Len() != 1 {
		t.Fatalf("ConsumeTo = %d with stack length %d, want 1, 1", n, f.Len())
	}
	if a, _ := f.Pop(); a != 3*2048 {
		t.Errorf("stack holds %d, want %d", a, 3*2048)
	}
	if q.Len() != 0 || k.cons != k.prod {
		t.Errorf("after consuming all: Len %d, consumer %d, producer %d", q.Len(), k.cons, k.prod)
	}
}

func TestFillQueueProduceFrom(t *testing.T) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 4096, FrameCount: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	f := NewFrameStack(u)
	q, k := newFakeFill(4, 0)
	if n := q.ProduceFrom(f, 100); n != 4 {
		t.Fatalf("ProduceFrom into a ring of 4 = %d, want 4", n)
	}
	if f.Len() != 4 || k.prod != 4 {
		t.Fatalf("stack %d, producer %d; want 4, 4", f.Len(), k.prod)
	}
	for i := range 4 {
		if q.addrs[i] != uint64(i)*4096 {
			t.Errorf("slot %d = %d, want %d", i, q.addrs[i], i*4096)
		}
	}
	k.cons = 4
	if n := q.ProduceFrom(f, 2); n != 2 || f.Len() != 2 {
		t.Fatalf("ProduceFrom(max 2) = %d, stack %d; want 2, 2", n, f.Len())
	}
	if n := q.ProduceFrom(f, 10); n != 2 || f.Len() != 0 {
		t.Fatalf("ProduceFrom(10) with 2 free frames = %d, stack %d; want 2, 0", n, f.Len())
	}
	if n := q.ProduceFrom(f, 10); n != 0 {
		t.Fatalf("ProduceFrom from an empty stack = %d", n)
	}
}

func TestDetachedRingsMoveNothing(t *testing.T) {
	var s Socket
	s.detachRings()
	if s.RX().Receive(make([]Desc, 4)) != 0 || s.TX().Transmit(make([]Desc, 4)) != 0 ||
		s.Fill().Produce(make([]uint64, 4)) != 0 || s.Completion().Consume(make([]uint64, 4)) != 0 {
		t.Error("a ring of size 0 moved entries")
	}
	if s.Held() != 0 || s.TX().Kick() != nil {
		t.Errorf("Held() = %d, Kick() = %v on rings of size 0", s.Held(), s.TX().Kick())
	}
}

func TestRingOpsDoNotAllocate(t *testing.T) {
	fq, fk := newFakeFill(64, 0)
	cq, ck := newFakeCompletion(64, 0)
	rx, rk := newFakeRX(64, 0)
	tx, tk := newFakeTX(64, 0)
	addrs := make([]uint64, 32)
	descs := make([]Desc, 32)
	allocs := testing.AllocsPerRun(100, func() {
		fq.Produce(addrs)
		fk.cons = fk.prod
		ck.prod += 32
		cq.Consume(addrs)
		rk.prod += 32
		rx.Receive(descs)
		tx.Transmit(descs)
		tk.cons = tk.prod
		_ = fq.NeedWakeup() || tx.NeedWakeup()
		_ = fq.Len() + cq.Len() + rx.Len() + tx.Len()
	})
	if allocs != 0 {
		t.Errorf("ring operations allocate %v times per run", allocs)
	}
}

// BenchmarkRingRoundTrip moves a batch of 64 through each ring type and
// a fake kernel, the per-batch ring work of a forwarding worker.
func BenchmarkRingRoundTrip(b *testing.B) {
	const batch = 64
	fq, fk := newFakeFill(2048, 0)
	cq, ck := newFakeCompletion(2048, 0)
	rx, rk := newFakeRX(2048, 0)
	tx, tk := newFakeTX(2048, 0)
	addrs := make([]uint64, batch)
	descs := make([]Desc, batch)
	b.ReportAllocs()
	for b.Loop() {
		rk.prod += batch
		n := rx.Receive(descs)
		tx.Transmit(descs[:n])
		tk.cons = tk.prod
		ck.prod += batch
		cq.Consume(addrs)
		fq.Produce(addrs)
		fk.cons = fk.prod
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/frame")
}

func BenchmarkRXReceive(b *testing.B) {
	rx, rk := newFakeRX(2048, 0)
	descs := make([]Desc, 64)
	b.ReportAllocs()
	for b.Loop() {
		rk.prod += 64
		rx.Receive(descs)
	}
}

func BenchmarkTXTransmit(b *testing.B) {
	tx, tk := newFakeTX(2048, 0)
	descs := make([]Desc, 64)
	b.ReportAllocs()
	for b.Loop() {
		tx.Transmit(descs)
		tk.cons = tk.prod
	}
}
