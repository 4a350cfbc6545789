package engine

import (
	"sync/atomic"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// counter is a single-writer counter: its owner increments it with a plain
// load and store (no locked instruction), readers load it atomically.
type counter struct{ v atomic.Uint64 }

func (c *counter) add(n uint64) { c.v.Store(c.v.Load() + n) }
func (c *counter) inc()         { c.v.Store(c.v.Load() + 1) }
func (c *counter) dec()         { c.v.Store(c.v.Load() - 1) }
func (c *counter) load() uint64 { return c.v.Load() }
func (c *counter) set(n uint64) { c.v.Store(n) }

// Counters are one worker's totals.
type Counters struct {
	RxPackets    uint64
	RxBytes      uint64
	TxPackets    uint64
	TxBytes      uint64
	HandoffOut   uint64 // frames passed to their owner
	HandoffIn    uint64 // frames received from other workers
	ConnsCreated uint64
	ConnsExpired uint64
	Conns        uint64 // entries in the connection table now
	ConnCapacity uint64
	Batches      uint64
	Drops        [verdict.NumReasons]uint64
	// ConnStates counts the entries of the connection table by state,
	// indexed by conntrack.State; they add up to Conns. Like Conns and
	// ipvsadm's ActiveConn/InActConn, an entry counts until the expiry
	// sweep removes it.
	ConnStates [conntrack.NumStates]uint64
}

type workerCounters struct {
	rxPackets, rxBytes, txPackets, txBytes counter
	handoffOut, handoffIn                  counter
	connsCreated, connsExpired, conns      counter
	batches                                counter
	drops                                  [verdict.NumReasons]counter
	states                                 [conntrack.NumStates]counter
	_                                      [64]byte
}

func (c *workerCounters) snapshot(out *Counters) {
	out.RxPackets += c.rxPackets.load()
	out.RxBytes += c.rxBytes.load()
	out.TxPackets += c.txPackets.load()
	out.TxBytes += c.txBytes.load()
	out.HandoffOut += c.handoffOut.load()
	out.HandoffIn += c.handoffIn.load()
	out.ConnsCreated += c.connsCreated.load()
	out.ConnsExpired += c.connsExpired.load()
	out.Conns += c.conns.load()
	out.Batches += c.batches.load()
	for i := range c.drops {
		out.Drops[i] += c.drops[i].load()
	}
	for i := range c.states {
		out.ConnStates[i] += c.states[i].load()
	}
}

// DestStats are the counters of one destination slot, summed over workers.
type DestStats struct {
	ActiveConns  uint64
	InactConns   uint64
	PersistConns uint64 // persistence templates
	Conns        uint64 // connections scheduled to it
	InPkts       uint64
	InBytes      uint64
	OutPkts      uint64
	OutBytes     uint64
}

// destCounters are one worker's counters of one destination slot.
type destCounters struct {
	active, inactive       counter
	conns, inPkts, inBytes counter
	outPkts, outBytes      counter
	persist                counter // persistence templates
}

// ServiceStats are the counters of one service slot, summed over workers:
// what IPVS keeps in a service's own ip_vs_stats. They are counted per
// packet beside the destination's, so deleting a real server does not
// lower its service's totals.
type ServiceStats struct {
	Conns    uint64 // connections scheduled by the service
	InPkts   uint64
	InBytes  uint64
	OutPkts  uint64
	OutBytes uint64
}

// svcCounters are one worker's counters of one service slot.
type svcCounters struct {
	conns, inPkts, inBytes counter
	outPkts, outBytes      counter
	_                      [24]byte
}
