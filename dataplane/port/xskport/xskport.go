package xskport

import (
	"errors"
	"fmt"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/xsk"
)

// Options size a port.
type Options struct {
	// FramesPerLink frames of UMEM are allocated per served interface.
	FramesPerLink int
	FrameSize     int
	Socket        xsk.SocketOptions
}

// DefaultRXRing is the entries of the RX and fill rings of xlvsd's
// sockets (DefaultOptions): eight times xsk's default.
//
// On veth the kernel fills a socket's RX ring in bursts of thousands of
// frames: the sender's CPU alternates between the sender and the
// softirq that copies its frames into the UMEM, at the scheduler's
// granularity (milliseconds), and delivers faster than a worker
// forwards. What the ring cannot hold is dropped (xsk-rx-ring-full, or
// xsk-rx-dropped when the fill ring ran dry first) while the worker later
// drains the ring and polls an empty one. A deeper ring carries more of
// each burst over to the gap after it: DR with 1 / 1M flows went from
// 0.51 / 0.43 Mpps with 4096 entries to 0.55 / 0.48 with 8192 and
// 0.66 / 0.60 with 16384 (perf/results/README.md, perfio). The fill ring
// matches, so that the kernel finds a free frame for every entry of the
// RX ring. The price is memory: 2 × 16384 frames of 2 KiB per link, 64
// MiB per link and worker; and up to 16384 frames of queueing delay
// under overload.
const DefaultRXRing = 16384

// DefaultOptions returns the sizes xlvsd uses: RX and fill rings of
// DefaultRXRing entries, and per link twice as many frames, so that one
// link's fill and RX rings can be full at once with frames to spare for
// TX, completions and handoffs.
func DefaultOptions() Options {
	o := Options{FramesPerLink: 2 * DefaultRXRing, FrameSize: 2048, Socket: xsk.DefaultSocketOptions()}
	o.Socket.RXSize, o.Socket.FillSize = DefaultRXRing, DefaultRXRing
	return o
}

// Port is the AF_XDP I/O of one worker. Not safe for concurrent use.
type Port struct {
	umem    *xsk.UMEM
	socks   []*xsk.Socket
	stack   *xsk.FrameStack
	buf     []byte
	fsize   int
	next    int // link to receive from first, for fairness
	xd      [port.MaxBatch]xsk.Desc
	pending []int // frames queued on TX per link since the last kick
	reserve int   // free frames kept back from the fill rings for handoffs
}

// Open binds queue on every interface in ifindexes (link i = ifindexes[i]).
func Open(ifindexes []int, queue int, o Options) (*Port, error) {
	if len(ifindexes) == 0 {
		return nil, errors.New("xskport: no interfaces")
	}
	u, err := xsk.NewUMEM(xsk.UMEMOptions{FrameSize: o.FrameSize, FrameCount: o.FramesPerLink * len(ifindexes)})
	if err != nil {
		return nil, err
	}
	p := &Port{umem: u, stack: xsk.NewFrameStack(u), buf: u.Frame(0, u.FrameCount()*u.FrameSize()), fsize: u.FrameSize()}
	p.pending = make([]int, len(ifindexes))
	p.reserve = o.FramesPerLink / 8
	for _, ifi := range ifindexes {
		s, err := u.Bind(ifi, queue, o.Socket)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("bind ifindex %d queue %d: %w", ifi, queue, err)
		}
		p.socks = append(p.socks, s)
	}
	p.refill()
	return p, nil
}

// Sockets returns the port's sockets, link order.
func (p *Port) Sockets() []*xsk.Socket { return p.socks }

// ZeroCopy reports whether every socket runs in zero-copy mode.
func (p *Port) ZeroCopy() bool {
	for _, s := range p.socks {
		if !s.ZeroCopy() {
			return false
		}
	}
	return true
}

// FreeFrames is the number of frames in the port's free pool.
func (p *Port) FreeFrames() int { return p.stack.Len() }

// TotalFrames is the UMEM's frame count.
func (p *Port) TotalFrames() int { return p.umem.FrameCount() }

// Accounting says where the UMEM's frames are. Call it only when the
// worker using the port has stopped.
type Accounting struct {
	Total, Free, OnRings int
	// RXRingFull is the kernel's count of packets dropped on a full RX
	// ring; the kernel may keep one frame per such event on a private
	// list, so Lost up to that count is not a leak.
	RXRingFull uint64
}

// Lost is the number of frames neither free nor on a ring.
func (a Accounting) Lost() int { return a.Total - a.Free - a.OnRings }

// Account counts the port's frames.
func (p *Port) Account() Accounting {
	a := Accounting{Total: p.umem.FrameCount(), Free: p.stack.Len()}
	for _, s := range p.socks {
		a.OnRings += s.Held()
		if st, err := s.Statistics(); err == nil {
			a.RXRingFull += st.RXRingFull
		}
	}
	return a
}

// Buffer implements port.Port.
func (p *Port) Buffer() []byte { return p.buf }

// FrameSize implements port.Port.
func (p *Port) FrameSize() int { return p.fsize }

// Links implements port.Port.
func (p *Port) Links() int { return len(p.socks) }

// Receive implements port.Port.
func (p *Port) Receive(descs []port.Desc) int {
	got := 0
	n := len(p.socks)
	for k := 0; k < n && got < len(descs); k++ {
		link := (p.next + k) % n
		want := min(len(descs)-got, len(p.xd))
		r := p.socks[link].RX().Receive(p.xd[:want])
		for i := 0; i < r; i++ {
			descs[got+i] = port.Desc{Addr: p.xd[i].Addr, Len: p.xd[i].Len, Link: uint16(link)}
		}
		got += r
	}
	p.next = (p.next + 1) % n
	return got
}

// Transmit implements port.Port.
func (p *Port) Transmit(descs []port.Desc) int {
	sent := 0
	for len(descs) > 0 {
		link := descs[0].Link
		run := 0
		for run < len(descs) && run < len(p.xd) && descs[run].Link == link {
			p.xd[run] = xsk.Desc{Addr: descs[run].Addr, Len: descs[run].Len}
			run++
		}
		ok := 0
		if int(link) < len(p.socks) {
			ok = p.socks[link].TX().Transmit(p.xd[:run])
			p.pending[link] += ok
		}
		for _, d := range descs[ok:run] {
			p.stack.Push(d.Addr)
		}
		sent += ok
		descs = descs[run:]
	}
	return sent
}

// Free implements port.Port.
func (p *Port) Free(descs []port.Desc) {
	for _, d := range descs {
		p.stack.Push(d.Addr)
	}
}

// Alloc implements port.Port.
func (p *Port) Alloc(d *port.Desc) bool {
	a, ok := p.stack.Pop()
	d.Addr = a
	return ok
}

// Flush implements port.Port: kick TX where frames were queued, reap
// completions into the free pool, top up every fill ring.
func (p *Port) Flush() {
	for i, s := range p.socks {
		if p.pending[i] > 0 || s.TX().Len() > 0 {
			s.TX().Kick()
			p.pending[i] = 0
		}
		s.Completion().ConsumeTo(p.stack)
	}
	p.refill()
}

// refill gives free frames to every fill ring, as many as it has room
// for, keeping a reserve back for frames that arrive by handoff. A ring
// that is full costs one look at its consumer index: the fill ring of a
// link that receives nothing stays full, and moving frames off the free
// pool and back for it every batch was a third of a busy worker's time.
func (p *Port) refill() {
	for _, s := range p.socks {
		spare := p.stack.Len() - p.reserve
		if spare <= 0 {
			return
		}
		s.Fill().ProduceFrom(p.stack, spare)
	}
}

// Wait implements port.Port.
func (p *Port) Wait(timeoutMs int) { xsk.Poll(p.socks, timeoutMs) }

// Close closes the sockets and the UMEM.
func (p *Port) Close() error {
	var errs []error
	for _, s := range p.socks {
		errs = append(errs, s.Close())
	}
	errs = append(errs, p.umem.Close())
	return errors.Join(errs...)
}

// Statistics returns the kernel's counters (XDP_STATISTICS) summed over
// the port's sockets. Unlike the rest of Port it may be called from any
// goroutine while the worker runs: it only reads the sockets' counters.
func (p *Port) Statistics() (xsk.Statistics, error) {
	var sum xsk.Statistics
	for _, s := range p.socks {
		st, err := s.Statistics()
		if err != nil {
			return sum, err
		}
		sum.RXDropped += st.RXDropped
		sum.RXInvalidDescs += st.RXInvalidDescs
		sum.TXInvalidDescs += st.TXInvalidDescs
		sum.RXRingFull += st.RXRingFull
		sum.RXFillRingEmptyDescs += st.RXFillRingEmptyDescs
		sum.TXRingEmptyDescs += st.TXRingEmptyDescs
	}
	return sum, nil
}
