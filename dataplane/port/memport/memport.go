package memport

import (
	"fmt"

	"github.com/xlvs/xlvs/dataplane/port"
)

// Port is an in-memory port. Not safe for concurrent use, except that
// tests may call Inject and TakeTx from the goroutine that polls the worker.
type Port struct {
	buf       []byte
	frameSize int
	links     int
	free      []uint64
	rx        []port.Desc
	tx        []port.Desc
	// Recycle makes Transmit free frames immediately after copying them to
	// Sent, for benchmarks that loop forever; otherwise they are kept in
	// the tx list until TakeTx.
	Recycle bool
	// Sent counts frames transmitted per link.
	Sent []uint64
	// TxLimit caps how many frames one Transmit accepts (0: no cap), to
	// exercise the worker's handling of a full TX ring.
	TxLimit int
}

// New returns a port with frames frames of frameSize bytes serving links links.
func New(frames, frameSize, links int) *Port {
	p := &Port{buf: make([]byte, frames*frameSize), frameSize: frameSize, links: links, Sent: make([]uint64, links)}
	for i := frames - 1; i >= 0; i-- {
		p.free = append(p.free, uint64(i*frameSize))
	}
	return p
}

// Inject copies frame into a free frame and queues it for Receive on link.
func (p *Port) Inject(link int, frame []byte) error {
	if len(frame) > p.frameSize {
		return fmt.Errorf("frame of %d bytes exceeds frame size %d", len(frame), p.frameSize)
	}
	var d port.Desc
	if !p.Alloc(&d) {
		return fmt.Errorf("no free frame")
	}
	copy(p.buf[d.Addr:], frame)
	d.Len = uint32(len(frame))
	d.Link = uint16(link)
	p.rx = append(p.rx, d)
	return nil
}

// InjectDesc queues an already filled frame (from Alloc) for Receive.
func (p *Port) InjectDesc(d port.Desc) { p.rx = append(p.rx, d) }

// Transmitted is one captured frame.
type Transmitted struct {
	Link  int
	Frame []byte
}

// TakeTx returns copies of the frames transmitted since the last call and
// returns their frames to the pool.
func (p *Port) TakeTx() []Transmitted {
	out := make([]Transmitted, 0, len(p.tx))
	for _, d := range p.tx {
		f := append([]byte(nil), p.buf[d.Addr:d.Addr+uint64(d.Len)]...)
		out = append(out, Transmitted{Link: int(d.Link), Frame: f})
		p.free = append(p.free, d.Addr)
	}
	p.tx = p.tx[:0]
	return out
}

// FreeFrames is the number of frames in the free pool; with Pending and
// the frames a test holds it must add up to the total.
func (p *Port) FreeFrames() int { return len(p.free) }

// Pending is the number of frames queued for receive or captured on tx.
func (p *Port) Pending() int { return len(p.rx) + len(p.tx) }

// Buffer implements port.Port.
func (p *Port) Buffer() []byte { return p.buf }

// FrameSize implements port.Port.
func (p *Port) FrameSize() int { return p.frameSize }

// Links implements port.Port.
func (p *Port) Links() int { return p.links }

// Receive implements port.Port.
func (p *Port) Receive(descs []port.Desc) int {
	n := copy(descs, p.rx)
	rest := copy(p.rx, p.rx[n:])
	p.rx = p.rx[:rest]
	return n
}

// Transmit implements port.Port.
func (p *Port) Transmit(descs []port.Desc) int {
	n := len(descs)
	if p.TxLimit > 0 && n > p.TxLimit {
		n = p.TxLimit
	}
	for _, d := range descs[n:] {
		p.free = append(p.free, d.Addr)
	}
	for _, d := range descs[:n] {
		p.Sent[d.Link]++
		if p.Recycle {
			p.free = append(p.free, d.Addr)
		} else {
			p.tx = append(p.tx, d)
		}
	}
	return n
}

// Free implements port.Port.
func (p *Port) Free(descs []port.Desc) {
	for _, d := range descs {
		p.free = append(p.free, d.Addr)
	}
}

// Alloc implements port.Port.
func (p *Port) Alloc(d *port.Desc) bool {
	n := len(p.free)
	if n == 0 {
		return false
	}
	d.Addr = p.free[n-1]
	p.free = p.free[:n-1]
	return true
}

// Flush implements port.Port.
func (p *Port) Flush() {}

// Wait implements port.Port; it returns at once.
func (p *Port) Wait(int) {}
