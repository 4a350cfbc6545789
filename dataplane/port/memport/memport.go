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
	// Headroom is where injected frames start in their frame, as AF_XDP
	// puts received packets XDP_PACKET_HEADROOM (256) bytes in; 0 by
	// default. Frames given back are recognised by any address inside
	// them, as an AF_XDP frame stack does.
	Headroom int
	// out says, per frame, whether it is out of the free pool.
	out []bool
}

// New returns a port with frames frames of frameSize bytes serving links links.
func New(frames, frameSize, links int) *Port {
	p := &Port{buf: make([]byte, frames*frameSize), frameSize: frameSize, links: links, Sent: make([]uint64, links), out: make([]bool, frames)}
	for i := frames - 1; i >= 0; i-- {
		p.free = append(p.free, uint64(i*frameSize))
	}
	return p
}

// Inject copies frame into a free frame and queues it for Receive on link.
func (p *Port) Inject(link int, frame []byte) error {
	if len(frame) > p.frameSize-p.Headroom {
		return fmt.Errorf("frame of %d bytes exceeds frame size %d minus headroom %d", len(frame), p.frameSize, p.Headroom)
	}
	var d port.Desc
	if !p.Alloc(&d) {
		return fmt.Errorf("no free frame")
	}
	d.Addr += uint64(p.Headroom)
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
		p.give(d.Addr, "TakeTx")
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
		p.give(d.Addr, "Transmit (over TxLimit)")
	}
	for _, d := range descs[:n] {
		p.check(d, "Transmit")
		p.Sent[d.Link]++
		if p.Recycle {
			p.give(d.Addr, "Transmit")
		} else {
			p.tx = append(p.tx, d)
		}
	}
	return n
}

// Free implements port.Port.
func (p *Port) Free(descs []port.Desc) {
	for _, d := range descs {
		p.give(d.Addr, "Free")
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
	p.out[d.Addr/uint64(p.frameSize)] = true
	return true
}

// give returns the frame holding addr to the free pool. A frame that is
// not out (freed twice) or an address outside the buffer panics: the
// caller lost track of a frame, which a real UMEM would turn into
// corrupted traffic much later.
func (p *Port) give(addr uint64, op string) {
	i := addr / uint64(p.frameSize)
	if i >= uint64(len(p.out)) {
		panic(fmt.Sprintf("memport: %s of address %d outside the buffer (%d frames)", op, addr, len(p.out)))
	}
	if !p.out[i] {
		panic(fmt.Sprintf("memport: %s of frame %d (address %d), which is already free", op, i, addr))
	}
	p.out[i] = false
	p.free = append(p.free, i*uint64(p.frameSize))
}

// check panics when d does not lie within one frame of the buffer that
// is out of the pool, or names a link the port does not have.
func (p *Port) check(d port.Desc, op string) {
	i := d.Addr / uint64(p.frameSize)
	end := d.Addr + uint64(d.Len)
	switch {
	case i >= uint64(len(p.out)) || !p.out[i]:
		panic(fmt.Sprintf("memport: %s of address %d, not a frame out of the pool", op, d.Addr))
	case d.Len == 0 || end > (i+1)*uint64(p.frameSize):
		panic(fmt.Sprintf("memport: %s of %d bytes at address %d crosses its frame's end", op, d.Len, d.Addr))
	case int(d.Link) >= p.links:
		panic(fmt.Sprintf("memport: %s on link %d of %d", op, d.Link, p.links))
	}
}

// Flush implements port.Port.
func (p *Port) Flush() {}

// Wait implements port.Port; it returns at once.
func (p *Port) Wait(int) {}
