package xsk

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// ringNeedWakeup is the ring flag the kernel sets when it needs a wakeup.
const ringNeedWakeup = unix.XDP_RING_NEED_WAKEUP

// busyRetryStep is the pause between two bind attempts on EBUSY.
const busyRetryStep = time.Millisecond

// Socket is an AF_XDP socket bound to one queue of one interface, with its
// own fill, completion, RX and TX rings over the UMEM it was bound from.
//
// The rings are the worker's; Close, Statistics and the accessors are safe
// to call from the control path.
type Socket struct {
	fd      int
	umem    *UMEM
	ifindex int
	queue   int
	netns   uint64 // netns cookie; 0 when the kernel cannot tell
	// zeroCopy and needWakeup are what the kernel applied.
	zeroCopy   bool
	needWakeup bool
	// retries counts the bind(2) calls that met EBUSY.
	retries int

	fill FillQueue
	comp CompletionQueue
	rx   RXQueue
	tx   TXQueue
	maps [][]byte // ring mappings, unmapped by release

	closed bool
}

// Bind opens an AF_XDP socket on queue queue of the interface with index
// ifindex, in the network namespace of the calling thread, and gives it
// its own fill, completion, RX and TX rings sized by o. The first socket
// registers the UMEM with the kernel and fixes the UMEM's mode (o.Mode,
// o.NeedWakeup); later sockets share the registration (XDP_SHARED_UMEM,
// Linux >= 5.10 across devices) and must ask for the same mode or
// [ModeAuto] and the same NeedWakeup, or get [ErrModeMismatch]. Two
// sockets of one UMEM cannot be bound to the same queue
// ([ErrQueueInUse]).
//
// While the kernel still releases a socket recently closed on the same
// queue, bind fails with EBUSY; Bind retries for o.BusyRetry. Errors of the
// system calls are wrapped with the step that failed.
//
// The fill ring starts empty: produce frames on it (from a [FrameStack])
// before expecting packets. An XDP program must redirect the queue's
// packets to the socket (an XSKMAP entry at the queue's index holding
// [Socket.FD]).
func (u *UMEM) Bind(ifindex, queue int, o SocketOptions) (*Socket, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if ifindex <= 0 {
		return nil, invalid("interface index", ifindex, "must be positive")
	}
	if queue < 0 {
		return nil, invalid("queue", queue, "must not be negative")
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, ErrClosed
	}
	if len(u.socks) > 0 {
		if err := u.checkShared(o); err != nil {
			return nil, err
		}
	}
	s, err := u.open(ifindex, queue, o)
	if err != nil {
		return nil, err
	}
	u.socks = append(u.socks, s)
	if len(u.socks) == 1 {
		u.zeroCopy, u.needWakeup = s.zeroCopy, s.needWakeup
	}
	if o.Mode == ModeAuto && !s.zeroCopy {
		notifyCopyMode(ifindex, queue)
	}
	return s, nil
}

// checkShared rejects options that the kernel would silently override for
// a socket sharing the UMEM of u.socks[0].
func (u *UMEM) checkShared(o SocketOptions) error {
	mode := "copy"
	if u.zeroCopy {
		mode = "zero-copy"
	}
	if o.Mode == ModeCopy && u.zeroCopy || o.Mode == ModeZeroCopy && !u.zeroCopy {
		return fmt.Errorf("%w: mode %v asked, the UMEM runs in %s mode", ErrModeMismatch, o.Mode, mode)
	}
	if o.NeedWakeup != u.needWakeup {
		return fmt.Errorf("%w: NeedWakeup %v asked, the UMEM uses %v", ErrModeMismatch, o.NeedWakeup, u.needWakeup)
	}
	return nil
}

// open creates, configures and binds a socket; on failure it releases
// everything it made. It retries bind(2) alone on EBUSY: a failed bind
// leaves the socket's rings and UMEM registration as they were.
func (u *UMEM) open(ifindex, queue int, o SocketOptions) (_ *Socket, err error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("xsk: create AF_XDP socket: %w", err)
	}
	s := &Socket{fd: fd, umem: u, ifindex: ifindex, queue: queue}
	s.detachRings()
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if cookie, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE); err == nil {
		s.netns = cookie
	}
	for _, t := range u.socks {
		if t.netns == s.netns && t.ifindex == ifindex && t.queue == queue {
			return nil, fmt.Errorf("%w: ifindex %d queue %d", ErrQueueInUse, ifindex, queue)
		}
	}
	sa := &unix.SockaddrXDP{Ifindex: uint32(ifindex), QueueID: uint32(queue)}
	if len(u.socks) > 0 {
		sa.Flags = unix.XDP_SHARED_UMEM
		sa.SharedUmemFD = uint32(u.socks[0].fd)
	} else {
		if err := registerUMEM(fd, u.mem, uint32(u.frameSize)); err != nil {
			return nil, fmt.Errorf("xsk: register UMEM of %d bytes: %w (needs CAP_IPC_LOCK or RLIMIT_MEMLOCK above it, see RaiseMemlock)", len(u.mem), err)
		}
		sa.Flags = bindFlags(o)
	}
	if err := s.setup(o); err != nil {
		return nil, err
	}
	if err := s.bind(sa, o); err != nil {
		return nil, err
	}
	xo, err := unix.GetsockoptInt(fd, unix.SOL_XDP, unix.XDP_OPTIONS)
	if err != nil {
		return nil, fmt.Errorf("xsk: get XDP_OPTIONS: %w", err)
	}
	s.zeroCopy = xo&unix.XDP_OPTIONS_ZEROCOPY != 0
	s.needWakeup = o.NeedWakeup
	s.tx.fd, s.tx.needWakeup = fd, o.NeedWakeup
	return s, nil
}

// bind binds the socket, retrying for o.BusyRetry while the kernel
// reports the queue busy.
func (s *Socket) bind(sa *unix.SockaddrXDP, o SocketOptions) error {
	deadline := time.Now().Add(o.BusyRetry)
	for {
		err := unix.Bind(s.fd, sa)
		if err == nil {
			return nil
		}
		if errors.Is(err, unix.EBUSY) && time.Now().Before(deadline) {
			s.retries++
			time.Sleep(busyRetryStep)
			continue
		}
		if o.Mode == ModeZeroCopy && errors.Is(err, unix.EOPNOTSUPP) {
			err = fmt.Errorf("%w: %w", ErrZeroCopyUnsupported, err)
		}
		if s.retries > 0 {
			err = fmt.Errorf("%w (after %d attempts)", err, s.retries+1)
		}
		return fmt.Errorf("xsk: bind ifindex %d queue %d (%v mode): %w", s.ifindex, s.queue, o.Mode, err)
	}
}

// bindFlags returns the sxdp_flags of a socket that owns its UMEM
// registration. Without XDP_COPY or XDP_ZEROCOPY the kernel tries
// zero-copy and falls back to copy mode.
func bindFlags(o SocketOptions) uint16 {
	var f uint16
	switch o.Mode {
	case ModeCopy:
		f |= unix.XDP_COPY
	case ModeZeroCopy:
		f |= unix.XDP_ZEROCOPY
	}
	if o.NeedWakeup {
		f |= unix.XDP_USE_NEED_WAKEUP
	}
	return f
}

// setup creates and maps the rings and sets the socket options.
func (s *Socket) setup(o SocketOptions) error {
	for _, r := range []struct {
		name      string
		opt, size int
	}{
		{"fill", unix.XDP_UMEM_FILL_RING, o.FillSize},
		{"completion", unix.XDP_UMEM_COMPLETION_RING, o.CompletionSize},
		{"RX", unix.XDP_RX_RING, o.RXSize},
		{"TX", unix.XDP_TX_RING, o.TXSize},
	} {
		if r.size == 0 {
			continue
		}
		if err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, r.opt, r.size); err != nil {
			return fmt.Errorf("xsk: create %s ring of %d entries: %w", r.name, r.size, err)
		}
	}
	if err := s.mapRings(o); err != nil {
		return err
	}
	if o.BusyPoll {
		for _, b := range []struct {
			name     string
			opt, val int
		}{
			{"SO_PREFER_BUSY_POLL", unix.SO_PREFER_BUSY_POLL, 1},
			{"SO_BUSY_POLL", unix.SO_BUSY_POLL, o.BusyPollUsecs},
			{"SO_BUSY_POLL_BUDGET", unix.SO_BUSY_POLL_BUDGET, o.BusyPollBudget},
		} {
			if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, b.opt, b.val); err != nil {
				return fmt.Errorf("xsk: set %s to %d: %w", b.name, b.val, err)
			}
		}
	}
	if o.TXBudget != 0 {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, unix.XDP_MAX_TX_SKB_BUDGET, o.TXBudget); err != nil {
			return fmt.Errorf("xsk: set XDP_MAX_TX_SKB_BUDGET to %d (Linux >= 6.17): %w", o.TXBudget, err)
		}
	}
	return nil
}

// FD returns the socket's file descriptor, to be stored in an XSKMAP.
func (s *Socket) FD() int { return s.fd }

// Ifindex returns the index of the interface the socket is bound to.
func (s *Socket) Ifindex() int { return s.ifindex }

// Queue returns the queue the socket is bound to.
func (s *Socket) Queue() int { return s.queue }

// UMEM returns the UMEM the socket was bound from.
func (s *Socket) UMEM() *UMEM { return s.umem }

// ZeroCopy reports whether the socket runs in zero-copy mode (false: copy
// mode).
func (s *Socket) ZeroCopy() bool { return s.zeroCopy }

// NeedWakeup reports whether the socket was bound with XDP_USE_NEED_WAKEUP.
func (s *Socket) NeedWakeup() bool { return s.needWakeup }

// Fill returns the socket's fill ring.
func (s *Socket) Fill() *FillQueue { return &s.fill }

// Completion returns the socket's completion ring.
func (s *Socket) Completion() *CompletionQueue { return &s.comp }

// RX returns the socket's RX ring (of size 0 if bound without one).
func (s *Socket) RX() *RXQueue { return &s.rx }

// TX returns the socket's TX ring (of size 0 if bound without one).
func (s *Socket) TX() *TXQueue { return &s.tx }

// Held returns the frames currently on the socket's four rings: the sum
// of their Len. With the worker's [FrameStack], it accounts for every
// frame of the UMEM once traffic has stopped (see the package doc).
func (s *Socket) Held() int {
	return s.fill.Len() + s.comp.Len() + s.rx.Len() + s.tx.Len()
}

// Close unmaps the socket's rings and closes it. The worker must have
// stopped using the rings; frames left on them (see Held) go back to no
// [FrameStack] by themselves. The UMEM stays registered while any of its
// sockets is open. Calling Close again returns nil.
func (s *Socket) Close() error {
	u := s.umem
	u.mu.Lock()
	defer u.mu.Unlock()
	if s.closed {
		return nil
	}
	for i, t := range u.socks {
		if t == s {
			u.socks = append(u.socks[:i], u.socks[i+1:]...)
			break
		}
	}
	return s.release()
}

// release unmaps the rings and closes the descriptor; the rings become
// empty rings of size 0.
func (s *Socket) release() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.detachRings()
	var errs []error
	for _, m := range s.maps {
		if err := unix.Munmap(m); err != nil {
			errs = append(errs, fmt.Errorf("xsk: unmap ring: %w", err))
		}
	}
	s.maps = nil
	if err := unix.Close(s.fd); err != nil {
		errs = append(errs, fmt.Errorf("xsk: close socket: %w", err))
	}
	return errors.Join(errs...)
}

// detachRings makes all four rings empty rings of size 0.
func (s *Socket) detachRings() {
	s.fill.r.detach()
	s.comp.r.detach()
	s.rx.r.detach()
	s.tx.r.detach()
	s.fill.addrs, s.comp.addrs, s.rx.descs, s.tx.descs = nil, nil, nil, nil
}
