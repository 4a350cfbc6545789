package bigmem

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// HugePageSize is the size of an x86-64 transparent huge page. Regions
// advised for huge pages are aligned to it, so every whole 2 MiB of the
// region can be backed by one.
const HugePageSize = 2 << 20

// MinSize is the smallest request [Slice] maps: below it the 4 KiB pages
// of the second-level TLB already cover the array (about 6 MiB on current
// x86-64 cores), a huge page would back 2 MiB where a small table touches
// a few pages, and the Go heap serves it as well; Slice falls back to
// make.
const MinSize = 8 << 20

// Region is a mapping made by [Map]; the zero Region maps nothing.
type Region struct {
	mem  []byte // the whole mapping, as munmap needs it
	data []byte // the caller's part: aligned when huge
	Huge bool   // MADV_HUGEPAGE was accepted for the region
}

// Map returns a zeroed region of at least size bytes outside the Go heap.
// With huge, the region is aligned to [HugePageSize] and advised with
// MADV_HUGEPAGE (a kernel without THP leaves it on small pages: Huge then
// reports false). Pages are backed on first touch.
func Map(size int, huge bool) (Region, error) {
	if size <= 0 {
		return Region{}, nil
	}
	n := size
	if huge {
		n = size + HugePageSize // room to align the start
	}
	mem, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return Region{}, err
	}
	r := Region{mem: mem, data: mem[:size:size]}
	if huge {
		off := int(-uintptr(unsafe.Pointer(&mem[0])) & (HugePageSize - 1))
		r.data = mem[off : off+size : off+size]
		r.Huge = unix.Madvise(r.data, unix.MADV_HUGEPAGE) == nil
	}
	return r, nil
}

// Bytes returns the region's memory.
func (r *Region) Bytes() []byte { return r.data }

// Free unmaps the region. Using its memory afterwards faults. Freeing the
// zero Region does nothing.
func (r *Region) Free() error {
	if r.mem == nil {
		return nil
	}
	err := unix.Munmap(r.mem)
	*r = Region{}
	return err
}

// Slice returns n zeroed values of T in a new region when they take at
// least [MinSize] bytes and the mapping succeeds, and a slice from make
// with the zero Region otherwise (nothing to free). huge asks for huge
// pages. T must hold no pointers.
func Slice[T any](n int, huge bool) ([]T, Region) {
	var zero T
	size := n * int(unsafe.Sizeof(zero))
	if n <= 0 || size < MinSize {
		return make([]T, max(n, 0)), Region{}
	}
	r, err := Map(size, huge)
	if err != nil {
		return make([]T, n), Region{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&r.data[0])), n), r
}

// Resident returns how many bytes of b are resident in memory (backed by
// a page), as mincore(2) reports it for the pages b spans. b must lie in
// one mapping.
func Resident(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	ps := unix.Getpagesize()
	start := uintptr(unsafe.Pointer(&b[0]))
	first := start &^ uintptr(ps-1)
	end := start + uintptr(len(b))
	pages := int((end - first + uintptr(ps) - 1) / uintptr(ps))
	vec := make([]byte, pages)
	// The page holding b's first byte is in b's mapping too.
	p := unsafe.Add(unsafe.Pointer(&b[0]), -int(start-first))
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(p), uintptr(pages*ps), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return 0, errno
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n * ps, nil
}

// ProcessRSS returns the calling process's resident set size, as
// /proc/self/statm reports it: what an operator sees as the process's
// memory, the Go heap and every mapping together.
func ProcessRSS() (int, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("bigmem: /proc/self/statm: %q", b)
	}
	pages, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("bigmem: /proc/self/statm: %w", err)
	}
	return pages * os.Getpagesize(), nil
}

// SettledRSS is [ProcessRSS] after a garbage collection that returned the
// free heap to the kernel, so that garbage does not count: the figure to
// compare before and after filling a table.
func SettledRSS() (int, error) {
	runtime.GC()
	debug.FreeOSMemory()
	return ProcessRSS()
}
