package memport

import "github.com/xlvs/xlvs/dataplane/port"

// Local is an in-memory [port.Local]: it copies the frames it is given.
// Not safe for concurrent use.
type Local struct {
	// Addr is the MAC address MAC returns.
	Addr [6]byte
	// Frames are copies of the frames delivered since the last Take.
	Frames [][]byte
	// Fail makes Deliver refuse every frame.
	Fail bool
	// Recycle makes Deliver count frames without copying them, for
	// benchmarks and allocation tests.
	Recycle bool
	// Delivered counts the frames delivered.
	Delivered uint64
}

// MAC implements port.Local.
func (l *Local) MAC() [6]byte { return l.Addr }

// Deliver implements port.Local.
func (l *Local) Deliver(buf []byte, descs []port.Desc) int {
	if l.Fail {
		return 0
	}
	for _, d := range descs {
		if !l.Recycle {
			l.Frames = append(l.Frames, append([]byte(nil), buf[d.Addr:d.Addr+uint64(d.Len)]...))
		}
		l.Delivered++
	}
	return len(descs)
}

// Take returns the frames delivered since the last call.
func (l *Local) Take() [][]byte {
	f := l.Frames
	l.Frames = nil
	return f
}
