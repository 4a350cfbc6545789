package xsk

// CompletionQueue is a socket's completion ring: the kernel produces on it
// the addresses of frames whose transmission has finished, and the worker
// consumes them to reuse the frames.
//
// CompletionQueue is not safe for concurrent use; owned by one worker.
type CompletionQueue struct {
	r     ring
	addrs []uint64
}

// Size returns the number of entries of the ring.
func (q *CompletionQueue) Size() int { return int(q.r.size) }

// Len returns the number of completed frames waiting to be consumed.
func (q *CompletionQueue) Len() int { return q.r.consumedLen() }

// Consume copies up to len(addrs) completed frame addresses into addrs,
// releases their ring entries and returns how many it copied. The frames
// belong to the caller again. An address is the one given to the
// [TXQueue], which may point into its frame rather than at its start.
func (q *CompletionQueue) Consume(addrs []uint64) int {
	n := q.r.peek(uint32(len(addrs)))
	if n == 0 {
		return 0
	}
	cons := q.r.cachedCons
	for i := range n {
		addrs[i] = q.addrs[(cons+i)&q.r.mask]
	}
	q.r.release(n)
	return int(n)
}

// ConsumeTo pushes every completed frame onto f and returns how many it
// pushed.
func (q *CompletionQueue) ConsumeTo(f *FrameStack) int {
	n := q.r.peek(q.r.size)
	if n == 0 {
		return 0
	}
	cons := q.r.cachedCons
	for i := range n {
		f.Push(q.addrs[(cons+i)&q.r.mask])
	}
	q.r.release(n)
	return int(n)
}
