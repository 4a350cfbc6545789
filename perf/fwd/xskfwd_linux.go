package fwd

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/xskport"
	"github.com/xlvs/xlvs/dataplane/xsk"
)

// ErrBadConfig is wrapped by errors about a forwarder's configuration.
var ErrBadConfig = errors.New("fwd: invalid configuration")

// batch is the frames the forwarder moves per round, as the engine does.
const batch = 64

// XSKForwarder is the userspace ceiling of the director's path: AF_XDP
// receive on one interface, Ethernet addresses rewritten in place, AF_XDP
// transmit of the same frame on another interface sharing the UMEM. No
// parsing, no lookups, no load balancing: what the project's own AF_XDP
// binding (dataplane/xsk) can forward, which xlvs's methods are measured
// against.
//
// [XSKForwarder.Run] owns the rings; Counters may be read from any
// goroutine.
type XSKForwarder struct {
	redir          redirectObjects
	link           link.Link
	umem           *xsk.UMEM
	in, out        *xsk.Socket
	stack          *xsk.FrameStack
	srcMAC, dstMAC [6]byte
	forwarded      atomic.Uint64
	dropped        atomic.Uint64
}

// NewXSKForwarder binds queue 0 of in and out (indexes in the calling
// thread's namespace) to one UMEM of frames frames and attaches the
// redirect program to in. Frames leave out from srcMAC to dstMAC. The
// sockets get the ring sizes of xlvsd's (xskport.DefaultOptions), and
// frames 0 means the UMEM of an xlvsd worker serving two interfaces.
func NewXSKForwarder(in, out int, srcMAC, dstMAC net.HardwareAddr, frames int) (_ *XSKForwarder, err error) {
	if len(srcMAC) != 6 || len(dstMAC) != 6 {
		return nil, fmt.Errorf("%w: source and destination MAC addresses are needed", ErrBadConfig)
	}
	po := xskport.DefaultOptions()
	if frames == 0 {
		frames = 2 * po.FramesPerLink
	}
	f := &XSKForwarder{}
	copy(f.srcMAC[:], srcMAC)
	copy(f.dstMAC[:], dstMAC)
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("fwd: raise RLIMIT_MEMLOCK: %w", err)
	}
	if f.umem, err = xsk.NewUMEM(xsk.UMEMOptions{FrameSize: po.FrameSize, FrameCount: frames}); err != nil {
		return nil, err
	}
	o := po.Socket
	if f.in, err = f.umem.Bind(in, 0, o); err != nil {
		return nil, err
	}
	if f.out, err = f.umem.Bind(out, 0, o); err != nil {
		return nil, err
	}
	f.stack = xsk.NewFrameStack(f.umem)
	f.in.Fill().ProduceFrom(f.stack, f.in.Fill().Size())
	if err := loadRedirectObjects(&f.redir, nil); err != nil {
		return nil, fmt.Errorf("fwd: load the redirect program: %w", err)
	}
	if err := f.redir.Xsks.Put(uint32(0), uint32(f.in.FD())); err != nil {
		return nil, fmt.Errorf("fwd: register the socket: %w", err)
	}
	if f.link, err = link.AttachXDP(link.XDPOptions{Program: f.redir.Redirect, Interface: in, Flags: link.XDPDriverMode}); err != nil {
		return nil, fmt.Errorf("fwd: attach the redirect program to interface %d: %w", in, err)
	}
	return f, nil
}

// ZeroCopy reports whether the sockets run in zero-copy mode.
func (f *XSKForwarder) ZeroCopy() bool { return f.in.ZeroCopy() }

// Run forwards until stop is closed. It should run on a locked, pinned
// thread; it does not allocate. Idle, it polls as xlvsd's workers do
// (port.Idle): for busyPoll after its last frame (0: port.DefaultBusyPoll,
// negative: none) and at least port.IdleSpins empty rounds, then it
// sleeps in poll(2) for at most a millisecond at a time.
func (f *XSKForwarder) Run(stop <-chan struct{}, busyPoll time.Duration) error {
	var descs [batch]xsk.Desc
	idle := port.NewIdle(busyPoll)
	start := time.Now()
	rx, tx := f.in.RX(), f.out.TX()
	for round := uint(0); ; round++ {
		if round%1024 == 0 && closed(stop) {
			return nil
		}
		k := rx.Receive(descs[:])
		for i := range k {
			fr := f.umem.Frame(descs[i].Addr, 12)
			copy(fr[0:6], f.dstMAC[:])
			copy(fr[6:12], f.srcMAC[:])
		}
		m := tx.Transmit(descs[:k])
		f.stack.PushDescs(descs[m:k]) // TX ring full: dropped
		if err := tx.Kick(); err != nil {
			return fmt.Errorf("fwd: kick TX: %w", err)
		}
		f.out.Completion().ConsumeTo(f.stack)
		f.in.Fill().ProduceFrom(f.stack, f.stack.Len())
		if f.in.Fill().NeedWakeup() {
			_ = f.in.WakeRX()
		}
		if m > 0 {
			f.forwarded.Add(uint64(m))
		}
		if k > m {
			f.dropped.Add(uint64(k - m))
		}
		if k > 0 {
			idle.Busy()
			continue
		}
		if !idle.Empty(int64(time.Since(start))) {
			continue
		}
		if closed(stop) {
			return nil
		}
		if tx.Len() == 0 {
			if err := f.in.WaitRX(1); err != nil {
				return fmt.Errorf("fwd: poll: %w", err)
			}
		}
	}
}

// Counters returns the frames forwarded and dropped (TX ring full).
func (f *XSKForwarder) Counters() (forwarded, dropped uint64) {
	return f.forwarded.Load(), f.dropped.Load()
}

// Close detaches the program and closes the sockets. Run must have
// returned.
func (f *XSKForwarder) Close() error {
	var errs []error
	if f.link != nil {
		errs = append(errs, f.link.Close())
	}
	errs = append(errs, f.redir.Close())
	if f.umem != nil {
		errs = append(errs, f.umem.Close())
	}
	return errors.Join(errs...)
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
