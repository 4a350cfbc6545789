package pktgen

import (
	"errors"
	"fmt"
	"time"

	"github.com/xlvs/xlvs/dataplane/xsk"
)

// xskBatch is the frames a [XSKSender] puts on the TX ring at a time.
const xskBatch = 64

// ErrTXStuck is returned when the kernel completes no frame for a second.
var ErrTXStuck = errors.New("pktgen: AF_XDP TX made no progress for a second")

// XSKSender sends a [Template]'s flows from an AF_XDP socket's TX ring
// (dataplane/xsk): the fallback where live frames are unavailable, and the
// way to drive a real NIC's queue. Every UMEM frame holds a copy of the
// template; a frame is rewritten for its flow just before it goes on the
// ring. Sent frames are counted when the kernel completes them.
//
// Not safe for concurrent use: one goroutine sends.
type XSKSender struct {
	tmpl  *Template
	umem  *xsk.UMEM
	sock  *xsk.Socket
	stack *xsk.FrameStack
	next  uint32 // flow of the next frame
	sent  uint64 // completed frames
	descs [xskBatch]xsk.Desc
	addrs [xskBatch]uint64
}

// XSKOptions configure [NewXSKSender].
type XSKOptions struct {
	// Queue is the TX queue to bind (default 0).
	Queue int
	// Frames is the UMEM size in frames (default 4096).
	Frames int
	// Mode is copy, zero-copy or auto (default).
	Mode xsk.Mode
}

// NewXSKSender binds an AF_XDP socket (TX only) to queue o.Queue of the
// interface ifindex, in the calling thread's network namespace.
func NewXSKSender(t *Template, ifindex int, o XSKOptions) (*XSKSender, error) {
	if o.Frames == 0 {
		o.Frames = 4096
	}
	uo := xsk.UMEMOptions{FrameSize: 2048, FrameCount: o.Frames}
	// Best effort: with CAP_IPC_LOCK (root) the limit does not apply, and
	// registering the UMEM reports a real shortage itself.
	_ = xsk.RaiseMemlock(uint64(uo.FrameSize*uo.FrameCount) + 16<<20)
	u, err := xsk.NewUMEM(uo)
	if err != nil {
		return nil, err
	}
	so := xsk.DefaultSocketOptions()
	so.RXSize = 0
	so.Mode = o.Mode
	s, err := u.Bind(ifindex, o.Queue, so)
	if err != nil {
		u.Close()
		return nil, err
	}
	for i := range u.FrameCount() {
		t.CopyTo(u.Frame(uint64(i)*uint64(uo.FrameSize), t.Len()))
	}
	return &XSKSender{tmpl: t, umem: u, sock: s, stack: xsk.NewFrameStack(u)}, nil
}

// ZeroCopy reports whether the socket runs in zero-copy mode.
func (x *XSKSender) ZeroCopy() bool { return x.sock.ZeroCopy() }

// Send puts n frames on the TX ring, kicking the kernel and reaping
// completions as it goes, and returns when all n are on the ring (not
// necessarily sent: see [XSKSender.Sent] and [XSKSender.Drain]).
func (x *XSKSender) Send(n uint64) error {
	tx := x.sock.TX()
	last := time.Now()
	for n > 0 {
		x.reap()
		k := x.stack.PopN(x.addrs[:min(n, xskBatch)])
		for i := range k {
			f := x.umem.Frame(x.addrs[i], x.tmpl.Len())
			x.tmpl.WriteFlow(f, x.next)
			x.next++
			if x.next == x.tmpl.spec.Flows {
				x.next = 0
			}
			x.descs[i] = xsk.Desc{Addr: x.addrs[i], Len: uint32(x.tmpl.Len())}
		}
		m := tx.Transmit(x.descs[:k])
		for _, d := range x.descs[m:k] { // ring full: back to the stack
			x.stack.Push(d.Addr)
		}
		x.next -= uint32(k - m)
		if x.next >= x.tmpl.spec.Flows { // wrapped below 0
			x.next += x.tmpl.spec.Flows
		}
		n -= uint64(m)
		if err := tx.Kick(); err != nil {
			return fmt.Errorf("pktgen: AF_XDP TX kick: %w", err)
		}
		if m > 0 {
			last = time.Now()
		} else if time.Since(last) > time.Second {
			return ErrTXStuck
		}
	}
	return nil
}

// reap takes completed frames back.
func (x *XSKSender) reap() {
	x.sent += uint64(x.sock.Completion().ConsumeTo(x.stack))
}

// Drain waits (up to a second) until the kernel has completed every frame
// on the TX ring.
func (x *XSKSender) Drain() error {
	deadline := time.Now().Add(time.Second)
	for x.stack.Len() < x.stack.Cap() {
		if err := x.sock.TX().Kick(); err != nil {
			return fmt.Errorf("pktgen: AF_XDP TX kick: %w", err)
		}
		x.reap()
		if time.Now().After(deadline) {
			return ErrTXStuck
		}
		time.Sleep(100 * time.Microsecond)
	}
	return nil
}

// Sent returns the frames the kernel has completed.
func (x *XSKSender) Sent() (uint64, error) {
	x.reap()
	return x.sent, nil
}

// Close closes the socket and unmaps the UMEM.
func (x *XSKSender) Close() error { return x.umem.Close() }
