package xsk

// Desc describes one frame on an RX or TX ring. Its layout is that of
// struct xdp_desc.
type Desc struct {
	// Addr is the offset in the UMEM where the packet starts; received
	// packets start PacketHeadroom bytes into their frame.
	Addr uint64
	// Len is the packet length in bytes.
	Len uint32
	// Options carries XDP_PKT_CONTD for multi-buffer packets (not
	// enabled by this package) and is otherwise 0.
	Options uint32
}

// RXQueue is a socket's RX ring: the kernel produces received packets on
// it, and the worker consumes them.
//
// RXQueue is not safe for concurrent use; owned by one worker.
type RXQueue struct {
	r     ring
	descs []Desc
}

// Size returns the number of entries of the ring (0 for a socket bound
// without RX ring).
func (q *RXQueue) Size() int { return int(q.r.size) }

// Len returns the number of received packets waiting to be consumed.
func (q *RXQueue) Len() int { return q.r.consumedLen() }

// Receive copies up to len(descs) received descriptors into descs,
// releases their ring entries and returns how many it copied. The frames
// belong to the caller until it transmits them or frees them.
func (q *RXQueue) Receive(descs []Desc) int {
	n := q.r.peek(uint32(len(descs)))
	if n == 0 {
		return 0
	}
	cons := q.r.cachedCons
	for i := range n {
		descs[i] = q.descs[(cons+i)&q.r.mask]
	}
	q.r.release(n)
	return int(n)
}
