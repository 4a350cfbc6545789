// Package memport is an in-memory [port.Port] for tests and benchmarks:
// frames are injected into its receive queue and transmitted frames are
// captured per link, with exact frame accounting like a real UMEM: a frame
// given back twice (freed, transmitted, or both) or an address outside the
// buffer panics at the call that did it, naming the frame.
//
// Concurrency: a Port is not safe for concurrent use, except that tests
// may call Inject and TakeTx from the goroutine that polls the worker.
package memport
