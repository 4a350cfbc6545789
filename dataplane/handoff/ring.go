package handoff

import (
	"fmt"
	"sync/atomic"
)

// SlotSize is the largest frame a slot carries.
const SlotSize = 4096 - 8

// Slot is one handed-off frame.
type Slot struct {
	Len  uint16
	Link uint16 // the link the frame arrived on
	_    [4]byte
	Data [SlotSize]byte
}

type pad [64]byte

// Ring is a bounded SPSC ring of slots. Exactly one goroutine may produce
// (Reserve/Publish) and exactly one may consume (Peek/Release).
type Ring struct {
	_     pad
	head  atomic.Uint32 // next slot to consume; written by the consumer
	_     pad
	tail  atomic.Uint32 // next slot to fill; written by the producer
	_     pad
	ptail uint32 // producer's unpublished tail
	chead uint32 // consumer's cached head
	_     pad
	mask  uint32
	slots []Slot
}

// New returns a ring of size slots; size must be a power of two.
func New(size int) (*Ring, error) {
	if size < 2 || size&(size-1) != 0 {
		return nil, fmt.Errorf("invalid handoff ring size %d: must be a power of two >= 2", size)
	}
	return &Ring{mask: uint32(size - 1), slots: make([]Slot, size)}, nil
}

// Reserve returns the next free slot for the producer, or nil when the ring
// is full. The slot becomes visible to the consumer at [Ring.Publish].
func (r *Ring) Reserve() *Slot {
	if r.ptail-r.head.Load() > r.mask {
		return nil
	}
	s := &r.slots[r.ptail&r.mask]
	r.ptail++
	return s
}

// Publish makes every reserved slot visible to the consumer.
func (r *Ring) Publish() { r.tail.Store(r.ptail) }

// Peek returns the next published slot, or nil when there is none.
func (r *Ring) Peek() *Slot {
	if r.chead == r.tail.Load() {
		return nil
	}
	return &r.slots[r.chead&r.mask]
}

// Next advances past the slot returned by Peek; [Ring.Release] hands the
// consumed slots back to the producer.
func (r *Ring) Next() { r.chead++ }

// Release returns every consumed slot to the producer.
func (r *Ring) Release() { r.head.Store(r.chead) }

// Len returns the number of published, unconsumed slots (approximate when
// read by a third goroutine).
func (r *Ring) Len() int { return int(r.tail.Load() - r.head.Load()) }
