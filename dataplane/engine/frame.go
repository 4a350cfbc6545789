package engine

import "github.com/xlvs/xlvs/dataplane/port"

// grow makes room for n more bytes in front of frame d and returns the
// grown frame. It uses the headroom before the frame's data when there is
// enough (AF_XDP leaves XDP_PACKET_HEADROOM in front of received frames);
// otherwise it moves the data towards the end of its UMEM frame, which
// fails (false, d unchanged) when the frame has no room left.
func (w *Worker) grow(d *port.Desc, n int) ([]byte, bool) {
	fs := uint64(w.port.FrameSize())
	off, un := d.Addr%fs, uint64(n)
	switch {
	case off >= un:
		d.Addr -= un
	case uint64(d.Len)+un <= fs:
		start := d.Addr - off
		copy(w.buf[start+un:start+un+uint64(d.Len)], w.buf[d.Addr:d.Addr+uint64(d.Len)])
		d.Addr = start
	default:
		return nil, false
	}
	d.Len += uint32(n)
	return w.buf[d.Addr : d.Addr+uint64(d.Len)], true
}
