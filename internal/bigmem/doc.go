// Package bigmem allocates large pointer-free arrays outside the Go heap:
// anonymous private mappings, lazily backed by the kernel (no
// MAP_POPULATE), optionally advised for transparent huge pages
// (MADV_HUGEPAGE, which THP's "madvise" mode needs). The data plane's
// connection tables live there, so that the garbage collector neither
// owns nor scans them, the Go heap stays small, and lookups over a
// million flows take fewer TLB misses. It wraps golang.org/x/sys/unix so
// that dataplane packages need not import it.
//
// A [Region] is released explicitly with [Region.Free]; its memory must
// not be used afterwards. Only pointer-free element types may be placed
// in a region: the garbage collector does not see pointers stored there.
//
// Concurrency: a Region is a plain value; Map and Free may be called from
// any goroutine, but a Region must be freed once, by one goroutine.
package bigmem
