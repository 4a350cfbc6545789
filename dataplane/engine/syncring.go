package engine

import "sync/atomic"

// spsc is a bounded single-producer single-consumer ring of fixed-size
// records, the transport of connection synchronisation between a worker
// and the control plane (sync.go): one goroutine pushes, one pops, and
// neither ever blocks or allocates. A full ring refuses the push; the
// producer counts the loss.
//
// The producer owns tail and the consumer owns head; each publishes its
// index with an atomic store after touching the slot, so the other side
// sees a slot's contents before it sees the index move past it.
type spsc[T any] struct {
	head atomic.Uint64 // next slot to pop; written by the consumer
	_    [56]byte
	tail atomic.Uint64 // next slot to push; written by the producer
	_    [56]byte
	recs []T
	mask uint64
}

// newSPSC returns a ring of size slots, rounded up to a power of two.
func newSPSC[T any](size int) *spsc[T] {
	n := 1
	for n < size {
		n <<= 1
	}
	return &spsc[T]{recs: make([]T, n), mask: uint64(n - 1)}
}

// push copies *r into the ring; false when the ring is full. Producer only.
func (q *spsc[T]) push(r *T) bool {
	t := q.tail.Load()
	if t-q.head.Load() > q.mask {
		return false
	}
	q.recs[t&q.mask] = *r
	q.tail.Store(t + 1)
	return true
}

// pop copies the oldest record into *r; false when the ring is empty.
// Consumer only.
func (q *spsc[T]) pop(r *T) bool {
	h := q.head.Load()
	if h == q.tail.Load() {
		return false
	}
	*r = q.recs[h&q.mask]
	q.head.Store(h + 1)
	return true
}

// size returns the ring's capacity.
func (q *spsc[T]) size() int { return len(q.recs) }
