//go:build !amd64 && !arm64

package conntrack

// prefetch does nothing on architectures without an assembly version:
// lookups then wait for their cache misses one after the other, as
// without the prefetch passes.
func prefetch(uintptr) {}

// prefetchLines does nothing either.
func prefetchLines(uintptr, uintptr) {}
