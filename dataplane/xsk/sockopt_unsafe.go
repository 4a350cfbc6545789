package xsk

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// registerUMEM registers mem as the UMEM of the socket fd (XDP_UMEM_REG),
// in aligned mode with frames of frameSize bytes and no extra headroom.
func registerUMEM(fd int, mem []byte, frameSize uint32) error {
	reg := unix.XDPUmemReg{
		Addr: uint64(uintptr(unsafe.Pointer(&mem[0]))),
		Len:  uint64(len(mem)),
		Size: frameSize,
	}
	return setsockopt(fd, unix.SOL_XDP, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg))
}

// mmapOffsets returns where the indexes, flags and descriptors of the
// socket's rings lie in their mappings (XDP_MMAP_OFFSETS).
func mmapOffsets(fd int) (*unix.XDPMmapOffsets, error) {
	var off unix.XDPMmapOffsets
	n, err := getsockopt(fd, unix.SOL_XDP, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off))
	if err != nil {
		return nil, fmt.Errorf("xsk: get XDP_MMAP_OFFSETS: %w", err)
	}
	if n != unsafe.Sizeof(off) {
		return nil, fmt.Errorf("%w: XDP_MMAP_OFFSETS without ring flags (Linux < 5.4)", ErrKernel)
	}
	return &off, nil
}

// statistics reads XDP_STATISTICS. Kernels before 5.9 fill only the first
// three counters.
func statistics(fd int) (unix.XDPStatistics, error) {
	var st unix.XDPStatistics
	_, err := getsockopt(fd, unix.SOL_XDP, unix.XDP_STATISTICS, unsafe.Pointer(&st), unsafe.Sizeof(st))
	return st, err
}

func setsockopt(fd, level, opt int, val unsafe.Pointer, size uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(val), size, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockopt(fd, level, opt int, val unsafe.Pointer, size uintptr) (uintptr, error) {
	n := uint32(size)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(val), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return 0, e
	}
	return uintptr(n), nil
}
