package engine

import (
	"fmt"

	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/fullnat"
)

// FullNATCounters are the FULLNAT counters of the engine, summed over
// workers. TOASkipped counts segments at the start of a stream forwarded
// without the TOA because it did not fit (options full, MTU); the refused
// connections and PROXY v2 drops are drop reasons (verdict.NoLocalPort,
// verdict.ProxyOutOfOrder, ...).
type FullNATCounters struct {
	TOAInserted    uint64
	TOASkipped     uint64
	ProxyInserted  uint64 // PROXY v2 headers put in front of a stream or a datagram
	MSSClamped     uint64 // SYN and SYN-ACK MSS options lowered
	PortsAllocated uint64
	PortsReleased  uint64
	BadReleases    uint64 // releases the pool refused (a bug if ever non-zero)
}

// initFullNAT sizes the worker's pool: its slice of [minPort, maxPort]
// for every local address slot.
func (w *Worker) initFullNAT(minPort, maxPort uint16) error {
	p, err := fullnat.NewPool(fullnat.Config{Workers: w.n, Worker: w.id, MinPort: minPort, MaxPort: maxPort, Addrs: snapshot.MaxLocalAddrs})
	if err != nil {
		return fmt.Errorf("FULLNAT local ports: %w", err)
	}
	w.fn = fnState{
		pool:  p,
		seq:   make([]fullnat.SeqState, w.ct.Cap()),
		rr:    make([]uint32, snapshot.MaxServices),
		laddr: make([]laddrCounters, snapshot.MaxLocalAddrs),
		addr:  make([]snapshot.LocalAddr, snapshot.MaxLocalAddrs),
	}
	return nil
}

// LaddrStats returns the connections using local address slot and the
// new connections refused because it had no free port, summed over
// workers (model.LaddrStats; xlvsadm -G's CONNS and CONFLICTS).
func (e *Engine) LaddrStats(slot uint32) (conns, conflicts uint64) {
	if slot >= snapshot.MaxLocalAddrs {
		return 0, 0
	}
	for _, w := range e.workers {
		c := &w.fn.laddr[slot]
		conns += c.conns.load()
		conflicts += c.conflicts.load()
	}
	return conns, conflicts
}

// FullNATCounters returns the FULLNAT counters summed over workers.
func (e *Engine) FullNATCounters() FullNATCounters {
	var out FullNATCounters
	for _, w := range e.workers {
		c := &w.fn.c
		out.TOAInserted += c.toaInserted.load()
		out.TOASkipped += c.toaSkipped.load()
		out.ProxyInserted += c.proxyInserted.load()
		out.MSSClamped += c.mssClamped.load()
		out.PortsAllocated += c.portsAllocated.load()
		out.PortsReleased += c.portsReleased.load()
		out.BadReleases += c.badReleases.load()
	}
	return out
}
