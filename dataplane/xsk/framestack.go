package xsk

// FrameStack is a LIFO of the free frames of one [UMEM]: the frames that
// are in no ring and in no batch of the worker. Its capacity is the UMEM's
// frame count; Pop hands out recently used frames first, which are the
// likeliest to be in cache.
//
// FrameStack is not safe for concurrent use; owned by one worker.
type FrameStack struct {
	addrs []uint64
	n     int
	base  uint64 // mask clearing the offset within a frame
}

// NewFrameStack returns a stack holding every frame of u; the first Pop
// returns frame 0.
func NewFrameStack(u *UMEM) *FrameStack {
	count := u.FrameCount()
	f := &FrameStack{
		addrs: make([]uint64, count),
		n:     count,
		base:  ^uint64(u.FrameSize() - 1),
	}
	for i := range count {
		f.addrs[count-1-i] = uint64(i) * uint64(u.FrameSize())
	}
	return f
}

// Len returns the number of free frames on the stack.
func (f *FrameStack) Len() int { return f.n }

// Cap returns the number of frames of the UMEM.
func (f *FrameStack) Cap() int { return len(f.addrs) }

// Pop removes a free frame and returns the address of its start; ok is
// false when the stack is empty.
func (f *FrameStack) Pop() (addr uint64, ok bool) {
	if f.n == 0 {
		return 0, false
	}
	f.n--
	return f.addrs[f.n], true
}

// PopN fills dst with free frames and returns how many it filled.
func (f *FrameStack) PopN(dst []uint64) int {
	n := min(len(dst), f.n)
	for i := range n {
		dst[i] = f.addrs[f.n-1-i]
	}
	f.n -= n
	return n
}

// Push returns a frame to the stack. addr may point anywhere inside the
// frame (a completion or RX address); the stack keeps the frame's start.
// Pushing more frames than the UMEM has means a frame was freed twice, and
// panics.
func (f *FrameStack) Push(addr uint64) {
	if f.n == len(f.addrs) {
		panic(errDoubleFree)
	}
	f.addrs[f.n] = addr & f.base
	f.n++
}

// PushDescs returns the frames of descs to the stack.
func (f *FrameStack) PushDescs(descs []Desc) {
	for i := range descs {
		f.Push(descs[i].Addr)
	}
}
