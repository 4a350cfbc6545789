package port

// Desc is one frame: its offset in the port's buffer, its length, and the
// link it arrived on or must leave by (an index into the port's links).
type Desc struct {
	Addr uint64
	Len  uint32
	Link uint16
	_    uint16
}

// Port is the I/O of one worker. Not safe for concurrent use: it is owned
// by the worker's goroutine. All methods take and return batches; none may
// allocate.
type Port interface {
	// Buffer returns the memory every frame lives in.
	Buffer() []byte
	// FrameSize is the capacity of one frame in Buffer.
	FrameSize() int
	// Links is the number of links (interfaces) the port serves.
	Links() int
	// Receive fills descs with received frames from any link and returns
	// how many it filled (0..len(descs)). The frames belong to the caller
	// until it transmits or frees them.
	Receive(descs []Desc) int
	// Transmit queues descs for sending, each on its Link, and returns how
	// many it queued. Frames it cannot queue (a full TX ring) it returns to
	// the free pool itself; the caller counts len(descs)-n as drops.
	Transmit(descs []Desc) int
	// Free returns frames to the port's free pool.
	Free(descs []Desc)
	// Alloc fills d.Addr with a free frame for a frame that arrives by
	// handoff; it returns false when the pool is empty.
	Alloc(d *Desc) bool
	// Flush kicks transmission, reaps completed frames and refills the
	// receive side. Called once per batch.
	Flush()
	// Wait blocks until a frame may be ready or timeoutMs elapses.
	Wait(timeoutMs int)
}

// MaxBatch is the largest batch a port handles in one call.
const MaxBatch = 256
