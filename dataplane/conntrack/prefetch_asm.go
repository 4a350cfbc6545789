//go:build amd64 || arm64

package conntrack

// prefetch asks the CPU to start loading the cache line holding addr into
// every cache level (PREFETCHT0 on amd64, PRFM PLDL1KEEP on arm64) and
// returns at once: the load overlaps what the caller does next. It never
// faults, whatever addr is. Go has no prefetch intrinsic outside the
// runtime. The address is a uintptr, not a pointer: the garbage collector
// must not see it, and the caller keeps what it points to alive.
func prefetch(addr uintptr)

// prefetchLines prefetches n consecutive cache lines from addr.
func prefetchLines(addr, n uintptr)
