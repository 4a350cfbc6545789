package engine

import (
	"sync"
	"sync/atomic"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// engineSync is the engine's part of connection synchronisation: the
// master flag the workers read once per batch, and the locks that keep
// each ring single-producer (imports) and single-consumer (drains) on the
// control side.
type engineSync struct {
	master   atomic.Bool
	importMu sync.Mutex
	drainMu  sync.Mutex
	results  [numImportResults]atomic.Uint64
}

// ImportResult is what [Engine.ImportSync] did with a received connection.
type ImportResult uint8

// Import results.
const (
	ImportQueued    ImportResult = iota // queued for its owner worker
	ImportNoService                     // no matching virtual service
	ImportNoDest                        // the service has no such real server
	ImportBadState                      // protocol or state this director does not keep
	ImportRingFull                      // the owner's inbound ring was full
	numImportResults
)

var importResultNames = [numImportResults]string{"queued", "no-service", "no-dest", "bad-state", "ring-full"}

// String names the result as the sync counters do ("no-dest", ...).
func (r ImportResult) String() string {
	if r >= numImportResults {
		return "unknown"
	}
	return importResultNames[r]
}

// SyncCounters are the dataplane's connection synchronisation counters.
type SyncCounters struct {
	// Queued and RingFull count connections the workers queued for the
	// master, and those lost to a full export ring.
	Queued, RingFull uint64
	// Imported and Updated count received connections the workers
	// created or updated; Stale those dropped because the configuration
	// changed between ImportSync and the worker.
	Imported, Updated, Stale uint64
	// Import counts ImportSync's results by [ImportResult].
	Import [numImportResults]uint64
}

// SetSyncMaster turns the export of connections on or off; workers see it
// from their next batch.
func (e *Engine) SetSyncMaster(on bool) { e.sync.master.Store(on) }

// DrainSync moves up to len(out) queued connections from the workers'
// export rings into out and returns how many. Calls are serialised; it
// never blocks a worker.
func (e *Engine) DrainSync(out []SyncConn) int {
	e.sync.drainMu.Lock()
	defer e.sync.drainMu.Unlock()
	n := 0
	for _, w := range e.workers {
		for n < len(out) && w.sx.out.pop(&out[n]) {
			n++
		}
	}
	return n
}

// ImportSync hands a connection received from a master to the worker that
// owns it, bound to the matching real server of the published snapshot:
// the service by firewall mark, or by protocol, address and port (then the
// port-0 service); the real server by address and port, as
// ip_vs_find_dest looks them up. It never blocks: a full inbound ring is
// reported and counted. Calls are serialised.
func (e *Engine) ImportSync(c *SyncConn) ImportResult {
	r := e.importSync(c)
	e.sync.results[r].Add(1)
	return r
}

func (e *Engine) importSync(c *SyncConn) ImportResult {
	s := e.snap.Load()
	if s == nil {
		return ImportNoService
	}
	template := c.Flags&conntrack.FlagTemplate != 0
	switch {
	case template:
		if c.State != conntrack.StateNone {
			return ImportBadState
		}
	case c.Proto == protoTCP:
		if !c.State.IsTCP() {
			return ImportBadState
		}
	case c.Proto == protoUDP:
		if c.State != conntrack.StateUDP {
			return ImportBadState
		}
	case c.Proto == protoSCTP:
		if !c.State.IsSCTP() {
			return ImportBadState
		}
	default:
		return ImportBadState
	}
	svc := findSyncService(s, c, template)
	if svc == nil {
		return ImportNoService
	}
	dst, ok := findSyncDest(s, svc, c)
	if !ok {
		return ImportNoDest
	}
	rec := syncIn{c: *c, svc: svc.ID, dst: dst}
	o := e.workers[0].ownerOf(svc, &c.Client, c.CPort)
	e.sync.importMu.Lock()
	ok = e.workers[o].sx.in.push(&rec)
	e.sync.importMu.Unlock()
	if !ok {
		return ImportRingFull
	}
	return ImportQueued
}

// findSyncService is ip_vs_service_find for a received connection.
func findSyncService(s *snapshot.Snapshot, c *SyncConn, template bool) *snapshot.Service {
	if c.FWMark != 0 {
		for i := range s.Services {
			svc := &s.Services[i]
			if svc.FWMark == c.FWMark && svc.Family == c.Family {
				return svc
			}
		}
		return nil
	}
	svc := s.Lookup(c.Proto, &c.Virtual, c.VPort)
	if svc == nil && template && c.VPort == 0 {
		svc = s.Lookup(c.Proto, &c.Virtual, ftpPort) // FTP templates have vport 0
	}
	return svc
}

// findSyncDest is ip_vs_find_dest: the available real server of svc with
// the connection's address and port (port 0 first for firewall-mark
// services not in NAT), else the other of port and 0.
func findSyncDest(s *snapshot.Snapshot, svc *snapshot.Service, c *SyncConn) (uint32, bool) {
	port := c.DPort
	if c.FWMark != 0 && c.Method != snapshot.MethodMasq {
		port = 0
	}
	for _, p := range [2]uint16{port, port ^ c.DPort} {
		for _, slot := range svc.Dests {
			d := &s.Dests[slot]
			if d.Available && d.Addr == c.Dest && d.Port == p {
				return slot, true
			}
		}
	}
	return 0, false
}

// SyncCounters sums the synchronisation counters of every worker.
func (e *Engine) SyncCounters() SyncCounters {
	var c SyncCounters
	for _, w := range e.workers {
		c.Queued += w.sx.queued.load()
		c.RingFull += w.sx.ringFull.load()
		c.Imported += w.sx.imported.load()
		c.Updated += w.sx.updated.load()
		c.Stale += w.sx.stale.load()
	}
	for i := range c.Import {
		c.Import[i] = e.sync.results[i].Load()
	}
	return c
}
