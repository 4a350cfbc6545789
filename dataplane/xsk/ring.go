package xsk

import "sync/atomic"

// ring is the index bookkeeping shared by the four ring types: pointers to
// the producer and consumer indexes and the flags word that the kernel
// shares through mmap, and local copies of both indexes so that most
// operations touch no shared cache line.
//
// Indexes are free-running uint32 counters; entry i lives at slot i&mask.
// The producing side owns producer and caches consumer, the consuming side
// owns consumer and caches producer. Atomic loads and stores give the
// acquire/release ordering the kernel pairs with its smp_* barriers.
type ring struct {
	producer *uint32
	consumer *uint32
	flags    *uint32

	// cachedProd and cachedCons are the local copies: the own index is
	// exact, the other side's is refreshed only when it falls short.
	cachedProd uint32
	cachedCons uint32

	mask uint32
	size uint32

	// idle backs the pointers of a ring that is not mapped (an RX or TX
	// ring of size 0), whose operations then move nothing.
	idle [3]uint32
}

// attach points r at a mapped ring of size entries (a power of two).
func (r *ring) attach(producer, consumer, flags *uint32, size uint32) {
	r.producer, r.consumer, r.flags = producer, consumer, flags
	r.size, r.mask = size, size-1
	r.cachedProd = atomic.LoadUint32(producer)
	r.cachedCons = atomic.LoadUint32(consumer)
}

// detach makes r an empty ring of size 0.
func (r *ring) detach() {
	r.idle = [3]uint32{}
	r.attach(&r.idle[0], &r.idle[1], &r.idle[2], 0)
	r.mask = 0
}

// reserve returns how many of want entries the producer may write now,
// refreshing the cached consumer index only when the cache says too few.
func (r *ring) reserve(want uint32) uint32 {
	free := r.size - (r.cachedProd - r.cachedCons)
	if free < want {
		r.cachedCons = atomic.LoadUint32(r.consumer)
		free = r.size - (r.cachedProd - r.cachedCons)
	}
	return min(free, want)
}

// submit publishes n written entries to the consumer.
func (r *ring) submit(n uint32) {
	r.cachedProd += n
	atomic.StoreUint32(r.producer, r.cachedProd)
}

// peek returns how many of want entries the consumer may read now,
// refreshing the cached producer index only when the cache says too few.
func (r *ring) peek(want uint32) uint32 {
	avail := r.cachedProd - r.cachedCons
	if avail < want {
		r.cachedProd = atomic.LoadUint32(r.producer)
		avail = r.cachedProd - r.cachedCons
	}
	return min(avail, want)
}

// release hands n read entries back to the producer.
func (r *ring) release(n uint32) {
	r.cachedCons += n
	atomic.StoreUint32(r.consumer, r.cachedCons)
}

// producedLen is the number of entries a producer has submitted that the
// consumer has not yet released.
func (r *ring) producedLen() int {
	return int(r.cachedProd - atomic.LoadUint32(r.consumer))
}

// consumedLen is the number of entries waiting for a consumer to read.
func (r *ring) consumedLen() int {
	return int(atomic.LoadUint32(r.producer) - r.cachedCons)
}

// needWakeup reports whether the kernel set XDP_RING_NEED_WAKEUP.
func (r *ring) needWakeup() bool {
	return atomic.LoadUint32(r.flags)&ringNeedWakeup != 0
}
