// Package port defines [Port], the batch I/O of one worker: the AF_XDP
// sockets of one queue on every served interface, sharing one frame
// memory, or an in-memory fake of the same for tests (package memport).
//
// Frames live in the memory returned by [Port.Buffer] and are addressed by
// offset, so a worker rewrites a frame in place and transmits the same
// descriptor on any link without copying it.
//
// Concurrency: a Port is owned by its worker's goroutine and is not safe
// for concurrent use.
package port
