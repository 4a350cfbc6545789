package xsk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// PacketHeadroom is where received packets start in their frame
// (XDP_PACKET_HEADROOM): the kernel leaves that many bytes in front of the
// data, so a worker can prepend headers in place. Frames a worker fills
// itself should start their data at the same offset.
const PacketHeadroom = unix.XDP_PACKET_HEADROOM

// defaultHugePageSize is used when /proc/meminfo does not say.
const defaultHugePageSize = 2 << 20

// UMEM is the frame memory one worker shares with the kernel: FrameCount
// frames of FrameSize bytes, addressed by their offset. It is mapped by
// [NewUMEM] and registered with the kernel by the first [UMEM.Bind]; every
// later socket of the UMEM shares that registration (XDP_SHARED_UMEM).
//
// Bind and Close are safe for concurrent use; Frame, Buffer and the
// accessors may be used by any goroutine as long as the UMEM is open.
type UMEM struct {
	mem        []byte // the frames: frameCount*frameSize bytes of area
	area       []byte // the whole mapping (rounded up for huge pages)
	frameSize  uint64
	frameCount int
	hugePages  bool

	mu     sync.Mutex
	socks  []*Socket // bound and open, in bind order
	closed bool
	// zeroCopy and needWakeup are the settings of the kernel's UMEM,
	// fixed by the first socket bound while socks was empty.
	zeroCopy, needWakeup bool
}

// NewUMEM maps the frame memory described by o (anonymous, populated,
// with huge pages if o.HugePages). It returns an [*OptionError] for
// invalid options and [ErrHugePages] when huge pages were asked for but
// not enough are free.
func NewUMEM(o UMEMOptions) (*UMEM, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	size := o.FrameCount * o.FrameSize
	length := size
	flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_POPULATE
	if o.HugePages {
		hp := hugePageSize()
		length = (size + hp - 1) / hp * hp
		flags |= unix.MAP_HUGETLB
	}
	area, err := unix.Mmap(-1, 0, length, unix.PROT_READ|unix.PROT_WRITE, flags)
	if err != nil {
		if o.HugePages && (errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EINVAL)) {
			return nil, fmt.Errorf("xsk: map %d bytes of huge pages: %w: %w (reserve them in /proc/sys/vm/nr_hugepages)", length, ErrHugePages, err)
		}
		return nil, fmt.Errorf("xsk: map %d bytes of frame memory: %w", length, err)
	}
	return &UMEM{
		mem:        area[:size:size],
		area:       area,
		frameSize:  uint64(o.FrameSize),
		frameCount: o.FrameCount,
		hugePages:  o.HugePages,
	}, nil
}

// Frame returns the n bytes at addr. It does not check that the UMEM is
// open, and panics only if the bytes are not all inside the UMEM. A packet
// must stay inside its frame: the kernel rejects TX descriptors that cross
// a frame's end (see [Statistics].TXInvalidDescs).
func (u *UMEM) Frame(addr uint64, n int) []byte {
	return u.mem[addr : addr+uint64(n)]
}

// Buffer returns the memory of all frames; frame i starts at i*FrameSize.
func (u *UMEM) Buffer() []byte { return u.mem }

// FrameSize returns the size of one frame in bytes.
func (u *UMEM) FrameSize() int { return int(u.frameSize) }

// FrameCount returns the number of frames.
func (u *UMEM) FrameCount() int { return u.frameCount }

// HugePages reports whether the UMEM is backed by huge pages.
func (u *UMEM) HugePages() bool { return u.hugePages }

// Sockets returns the open sockets of the UMEM in bind order.
func (u *UMEM) Sockets() []*Socket {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*Socket(nil), u.socks...)
}

// Close closes the UMEM's open sockets and unmaps its memory. Slices
// returned by Frame and Buffer must not be used afterwards. Calling Close
// again returns nil.
func (u *UMEM) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	var errs []error
	for _, s := range u.socks {
		errs = append(errs, s.release())
	}
	u.socks = nil
	if err := unix.Munmap(u.area); err != nil {
		errs = append(errs, fmt.Errorf("xsk: unmap frame memory: %w", err))
	}
	u.mem, u.area = nil, nil
	return errors.Join(errs...)
}

// hugePageSize returns the default huge page size from /proc/meminfo.
func hugePageSize() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return defaultHugePageSize
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "Hugepagesize:" && string(f[2]) == "kB" {
			if kb, err := strconv.Atoi(string(f[1])); err == nil && kb > 0 {
				return kb << 10
			}
		}
	}
	return defaultHugePageSize
}
