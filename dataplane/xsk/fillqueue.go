package xsk

// FillQueue is a socket's fill ring: the worker produces the addresses of
// free frames on it, and the kernel consumes them to store received
// packets in.
//
// FillQueue is not safe for concurrent use; owned by one worker.
type FillQueue struct {
	r     ring
	addrs []uint64
}

// Size returns the number of entries of the ring.
func (q *FillQueue) Size() int { return int(q.r.size) }

// Len returns the number of frames on the ring that the kernel has not yet
// taken.
func (q *FillQueue) Len() int { return q.r.producedLen() }

// Free returns the number of entries that can be produced now.
func (q *FillQueue) Free() int { return int(q.r.reserve(q.r.size)) }

// Produce submits up to len(addrs) frames, in order, and returns how many
// it submitted: addrs[:n] now belong to the kernel, addrs[n:] stay the
// caller's.
func (q *FillQueue) Produce(addrs []uint64) int {
	n := q.r.reserve(uint32(len(addrs)))
	if n == 0 {
		return 0
	}
	prod := q.r.cachedProd
	for i := range n {
		q.addrs[(prod+i)&q.r.mask] = addrs[i]
	}
	q.r.submit(n)
	return int(n)
}

// ProduceFrom moves up to max frames from f to the ring and returns how
// many it moved.
func (q *FillQueue) ProduceFrom(f *FrameStack, max int) int {
	n := q.r.reserve(uint32(min(max, f.Len())))
	if n == 0 {
		return 0
	}
	prod := q.r.cachedProd
	for i := range n {
		f.n--
		q.addrs[(prod+i)&q.r.mask] = f.addrs[f.n]
	}
	q.r.submit(n)
	return int(n)
}

// NeedWakeup reports whether the kernel asks for a wakeup (poll or
// [Socket.WakeRX]) before it takes more frames; only meaningful with
// SocketOptions.NeedWakeup.
func (q *FillQueue) NeedWakeup() bool { return q.r.needWakeup() }
