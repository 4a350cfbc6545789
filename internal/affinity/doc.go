// Package affinity pins the calling OS thread to a CPU. It wraps
// golang.org/x/sys/unix so that dataplane packages need not import it.
//
// Concurrency: [Pin] changes only the calling thread; call it from the
// goroutine to pin, after runtime.LockOSThread.
package affinity
