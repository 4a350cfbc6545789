package fakedp

import "net/netip"

// SetLocal makes addr one of the director's own addresses, as the kernel
// would report it: a real server there becomes a local node.
func (p *Plane) SetLocal(addr netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.local == nil {
		p.local = map[netip.Addr]bool{}
	}
	p.local[addr] = true
}

// IsLocal reports whether SetLocal made addr local; pass it as
// model.Config.IsLocal.
func (p *Plane) IsLocal(addr netip.Addr) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.local[addr]
}
