package fullnat

import (
	"errors"
	"fmt"
)

// Port range defaults, DPVS's sa_pool defaults (DEF_MIN_PORT 1025,
// DEF_MAX_PORT 65535): every port above the well-known ones except 1024.
const (
	DefaultMinPort = 1025
	DefaultMaxPort = 65535
)

// MaxAddrs is the largest number of local address slots a Pool can have.
const MaxAddrs = 1 << 12

// Protocol numbers a Pool has ports for (IPPROTO_TCP, IPPROTO_UDP).
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// numProtos is how many protocols have their own ports: TCP and UDP.
const numProtos = 2

// Config sizes a [Pool].
type Config struct {
	// Workers is the number of workers sharing the port range (≥ 1).
	Workers int
	// Worker is the worker owning the pool, 0 ≤ Worker < Workers.
	Worker int
	// MinPort and MaxPort bound the local port range, inclusive; zero
	// means DefaultMinPort and DefaultMaxPort.
	MinPort, MaxPort uint16
	// Addrs is the number of local address slots (1..MaxAddrs): the
	// addr arguments of the Pool's methods are slots below it.
	Addrs int
}

// DefaultConfig returns the configuration of worker 0 of 1 with DPVS's
// port range and 64 local address slots.
func DefaultConfig() Config {
	return Config{Workers: 1, MinPort: DefaultMinPort, MaxPort: DefaultMaxPort, Addrs: 64}
}

// Errors from [NewPool].
var (
	ErrWorkers   = errors.New("invalid worker count or worker index")
	ErrPortRange = errors.New("invalid local port range")
	ErrAddrs     = errors.New("invalid number of local address slots")
	ErrNoPorts   = errors.New("no local port left for this worker")
)

// Stats counts what a Pool did. Allocs and Releases count ports handed
// out and given back; Exhausted counts allocations refused because every
// candidate local address was out of ports (the connection cannot be
// made); BadReleases counts releases of a port that was not in use, not
// this worker's or out of range (a caller bug, refused without harm).
type Stats struct {
	Allocs      uint64
	Releases    uint64
	Exhausted   uint64
	BadReleases uint64
}

// Pool is one worker's local ports: for every local address slot and for
// TCP and UDP, the ports p of the range with p mod Workers = Worker, as
// a bitmap of free ports with a rotating cursor. It is sized by [NewPool]
// and never allocates afterwards; its big arrays hold no pointers.
//
// A Pool is not safe for concurrent use; it belongs to one worker.
type Pool struct {
	cfg   Config
	first uint16 // first port of the slice
	n     int    // ports in the slice, per address and protocol
	wps   int    // leaf words per set
	mps   int    // mid words per set

	// Per set (slot*numProtos + protocol index):
	top    []uint64
	mid    []uint64
	leaf   []uint64
	free   []int32
	cursor []uint32
	// Per slot: allocations refused because the slot was out of ports.
	exhausted []uint64

	stats Stats
}

// NewPool returns a pool with every port of every slot free.
func NewPool(cfg Config) (*Pool, error) {
	if cfg.MinPort == 0 {
		cfg.MinPort = DefaultMinPort
	}
	if cfg.MaxPort == 0 {
		cfg.MaxPort = DefaultMaxPort
	}
	if cfg.Workers < 1 || cfg.Worker < 0 || cfg.Worker >= cfg.Workers || cfg.Workers > 1<<16 {
		return nil, fmt.Errorf("worker %d of %d: %w", cfg.Worker, cfg.Workers, ErrWorkers)
	}
	if cfg.MinPort > cfg.MaxPort {
		return nil, fmt.Errorf("%d-%d: %w", cfg.MinPort, cfg.MaxPort, ErrPortRange)
	}
	if cfg.Addrs < 1 || cfg.Addrs > MaxAddrs {
		return nil, fmt.Errorf("%d (must be 1..%d): %w", cfg.Addrs, MaxAddrs, ErrAddrs)
	}
	p := &Pool{cfg: cfg}
	lo, hi, n, w := int(cfg.MinPort), int(cfg.MaxPort), cfg.Workers, cfg.Worker
	first := lo + ((w-lo%n)%n+n)%n
	if first > hi {
		return nil, fmt.Errorf("ports %d-%d, worker %d of %d: %w", lo, hi, w, n, ErrNoPorts)
	}
	p.first = uint16(first)
	p.n = (hi-first)/n + 1
	p.wps = (p.n + 63) / 64
	p.mps = (p.wps + 63) / 64
	sets := cfg.Addrs * numProtos
	p.top = make([]uint64, sets)
	p.mid = make([]uint64, sets*p.mps)
	p.leaf = make([]uint64, sets*p.wps)
	p.free = make([]int32, sets)
	p.cursor = make([]uint32, sets)
	p.exhausted = make([]uint64, cfg.Addrs)
	for s := 0; s < sets; s++ {
		p.resetSet(s)
	}
	return p, nil
}

// Config returns the pool's configuration, defaults filled in.
func (p *Pool) Config() Config { return p.cfg }

// Ports returns how many ports the worker has per local address and
// protocol.
func (p *Pool) Ports() int { return p.n }

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats { return p.stats }

// protoIndex maps a protocol to its sets, or -1.
func protoIndex(proto uint8) int {
	switch proto {
	case ProtoTCP:
		return 0
	case ProtoUDP:
		return 1
	}
	return -1
}

// set returns the set of (addr, proto), or -1 when either is invalid.
func (p *Pool) set(addr uint32, proto uint8) int {
	pi := protoIndex(proto)
	if pi < 0 || addr >= uint32(p.cfg.Addrs) {
		return -1
	}
	return int(addr)*numProtos + pi
}

func (p *Pool) words(s int) (*uint64, []uint64, []uint64) {
	return &p.top[s], p.mid[s*p.mps : (s+1)*p.mps], p.leaf[s*p.wps : (s+1)*p.wps]
}

func (p *Pool) resetSet(s int) {
	top, mid, leaf := p.words(s)
	fillSet(top, mid, leaf, p.n)
	p.free[s] = int32(p.n)
	p.cursor[s] = 0
}

// Free returns the number of free ports of (addr, proto), 0 for an
// invalid slot or protocol.
func (p *Pool) Free(addr uint32, proto uint8) int {
	if s := p.set(addr, proto); s >= 0 {
		return int(p.free[s])
	}
	return 0
}

// Exhausted returns how many allocations found slot addr out of ports.
func (p *Pool) Exhausted(addr uint32) uint64 {
	if addr >= uint32(p.cfg.Addrs) {
		return 0
	}
	return p.exhausted[addr]
}

// Alloc takes a free port of (addr, proto): the first free one at or after
// the slot's cursor, which then moves past it. It returns false, counting
// the slot as exhausted, when none is free or when addr or proto is
// invalid. Constant time, no allocation.
func (p *Pool) Alloc(addr uint32, proto uint8) (uint16, bool) {
	s := p.set(addr, proto)
	if s < 0 {
		p.stats.Exhausted++
		return 0, false
	}
	port, ok := p.alloc(s)
	if !ok {
		p.exhausted[addr]++
		p.stats.Exhausted++
	}
	return port, ok
}

func (p *Pool) alloc(s int) (uint16, bool) {
	if p.free[s] == 0 {
		return 0, false
	}
	top, mid, leaf := p.words(s)
	i := nextFree(*top, mid, leaf, p.cursor[s])
	if i < 0 { // unreachable while free[s] is right
		return 0, false
	}
	take(top, mid, leaf, i)
	p.free[s]--
	next := uint32(i + 1)
	if next >= uint32(p.n) {
		next = 0
	}
	p.cursor[s] = next
	p.stats.Allocs++
	return p.port(i), true
}

// port returns the port at index i of the slice.
func (p *Pool) port(i int) uint16 { return uint16(int(p.first) + i*p.cfg.Workers) }

// index returns the slice index of port, or -1 if the port is not this
// worker's or out of range.
func (p *Pool) index(port uint16) int {
	d := int(port) - int(p.first)
	if d < 0 || d%p.cfg.Workers != 0 {
		return -1
	}
	if i := d / p.cfg.Workers; i < p.n {
		return i
	}
	return -1
}

// Pick chooses the local address and port of a new connection of a
// service whose local address slots are addrs, round robin as DPVS does:
// it starts at the address after the one *rr (the service's cursor, kept
// by the caller) names and takes the first address with a free port of
// proto. Empty addresses are passed over, so a connection fails only when
// every address of the service is out of ports (counted in
// [Stats].Exhausted, and per address). The work is bounded by len(addrs);
// each address costs constant time.
func (p *Pool) Pick(addrs []uint32, proto uint8, rr *uint32) (addr uint32, port uint16, ok bool) {
	k := uint32(len(addrs))
	if k == 0 {
		p.stats.Exhausted++
		return 0, 0, false
	}
	start := *rr % k
	for j := uint32(0); j < k; j++ {
		i := start + j
		if i >= k {
			i -= k
		}
		a := addrs[i]
		s := p.set(a, proto)
		if s < 0 {
			continue
		}
		if port, ok := p.alloc(s); ok {
			*rr = i + 1
			return a, port, true
		}
		p.exhausted[a]++
	}
	*rr = start + 1
	p.stats.Exhausted++
	return 0, 0, false
}

// Release gives port of (addr, proto) back. It returns false, counting a
// bad release and changing nothing, when the port is not in use, not this
// worker's, or addr or proto is invalid.
func (p *Pool) Release(addr uint32, proto uint8, port uint16) bool {
	s := p.set(addr, proto)
	i := p.index(port)
	if s < 0 || i < 0 {
		p.stats.BadReleases++
		return false
	}
	top, mid, leaf := p.words(s)
	if !put(top, mid, leaf, i) {
		p.stats.BadReleases++
		return false
	}
	p.free[s]++
	p.stats.Releases++
	return true
}

// Reset frees every port of slot addr (both protocols) and rewinds its
// cursors, for a slot the control plane gives to a new local address. It
// costs one pass over the slot's bitmap words (about 2 KiB for one worker
// and the default range).
func (p *Pool) Reset(addr uint32) {
	if addr >= uint32(p.cfg.Addrs) {
		return
	}
	for pi := 0; pi < numProtos; pi++ {
		p.resetSet(int(addr)*numProtos + pi)
	}
	p.exhausted[addr] = 0
}
