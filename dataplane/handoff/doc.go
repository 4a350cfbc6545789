// Package handoff implements the bounded single-producer/single-consumer
// ring through which a worker passes a frame it received but does not own
// to the worker that owns the flow (DESIGN.md §2, the flow-owner rule).
//
// An AF_XDP socket only receives from its own queue and each worker has
// its own UMEM, so a handed-off frame is copied once into a ring slot and
// once more into the owner's UMEM. Producers fill slots and publish them in
// batches; a full ring makes the producer drop and count, never block.
package handoff
