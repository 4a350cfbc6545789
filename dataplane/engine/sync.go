package engine

import (
	"sync/atomic"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Connection synchronisation (IPVS's sync daemon, ip_vs_sync.c), the
// dataplane's half.
//
// Export (master): while [Engine.SetSyncMaster] is on, a worker decides per
// inbound packet whether the connection must be sent to the backups, with
// IPVS's rule (ip_vs_sync_conn_needed, sync_threshold "3 50"): a TCP
// connection in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT or TIME_WAIT is
// sent when its count of inbound packets p satisfies p % 50 == 3 (the 3rd,
// 53rd, 103rd... packet), and at once when it enters one of those states
// other than ESTABLISHED; an SCTP connection likewise in ESTABLISHED,
// SHUTDOWN_SENT, SHUTDOWN_RECEIVED, SHUTDOWN_ACK_SENT or CLOSED; a UDP
// connection when p % 50 == 3. One-packet connections are never sent,
// nor are FULLNAT ones (the wire format has no local address). A connection controlled by a persistence
// template is sent with its template (the template first, so that a
// backup can link the connection to it). The worker copies a fixed-size
// [SyncConn] into its own SPSC ring; a full ring drops the record and
// counts it (sync-ring-full). [Engine.DrainSync], on one control
// goroutine, empties the rings.
//
// Import (backup): [Engine.ImportSync] finds the service and the real
// server of a received connection in the published snapshot, computes the
// owning worker with the rule packets use (ownerOf) and pushes the record
// into that worker's inbound ring. The worker drains it at the start of
// each batch and creates or updates the entry with the given state and
// timeout, bound to that real server, so that when traffic moves to this
// director its packets find their connection and are forwarded without
// being scheduled again.

// IPVS's default sync_threshold sysctl: a connection is sent when its
// inbound packet count p satisfies p % SyncPeriod == SyncThreshold.
const (
	SyncThreshold = 3
	SyncPeriod    = 50
)

// Ring sizes: records per worker for export and import, and how many
// imports a worker applies per batch.
const (
	syncOutSize      = 4096
	syncInSize       = 4096
	syncImportBudget = 256
)

// syncPktsMask keeps the inbound packet count in the low 24 bits of a
// worker's per-entry sync word; the state last sent is in the high 8.
const syncPktsMask = 1<<24 - 1

// SyncConn is one connection as the sync protocol carries it, decoded
// from or to ctrl/sync's wire format. Addresses are 16 bytes, IPv4 ones
// IPv4-mapped; ports are in host order.
type SyncConn struct {
	Client, Virtual, Dest [16]byte
	CPort, VPort, DPort   uint16
	// Proto is the IP protocol (0 for a firewall-mark template).
	Proto uint8
	// Family is 4 or 6, the family of all three addresses.
	Family uint8
	// State is the connection's state (conntrack.StateNone for templates).
	State conntrack.State
	// Flags are the entry's flags (conntrack.FlagTemplate).
	Flags uint8
	// Method is the real server's forwarding method.
	Method snapshot.Method
	// FWMark is the firewall mark of the connection's service, 0 if none.
	FWMark uint32
	// Timeout is the connection's timeout in seconds.
	Timeout uint32
}

// syncIn is a received connection bound to the slots ImportSync found.
type syncIn struct {
	c        SyncConn
	svc, dst uint32
}

// workerSync is a worker's part of connection synchronisation.
type workerSync struct {
	masterp *atomic.Bool // the engine's SetSyncMaster flag
	master  bool         // its value for this batch
	out     *spsc[SyncConn]
	in      *spsc[syncIn]
	rec     SyncConn // the record being built (a local would escape)
	inr     syncIn   // the record being imported

	queued, ringFull         counter
	imported, updated, stale counter
}

func (w *Worker) initSync(master *atomic.Bool) {
	w.sx.masterp = master
	w.sx.out = newSPSC[SyncConn](syncOutSize)
	w.sx.in = newSPSC[syncIn](syncInSize)
}

// pollSync runs once per batch: it picks up the master flag and applies
// the connections received for this worker.
func (w *Worker) pollSync(now int64) {
	w.sx.master = w.sx.masterp.Load()
	if w.snap == nil {
		return
	}
	for k := 0; k < syncImportBudget && w.sx.in.pop(&w.sx.inr); k++ {
		w.importConn(&w.sx.inr, now)
	}
}

// syncPacket counts an inbound packet of connection idx (IPVS's in_pkts,
// counted whether or not a master runs, in the entry's sync word: low 24
// bits the count, high 8 the state last sent, IPVS's old_state; a new
// entry's word is zero) and, on a master, queues the connection (and its
// template) when IPVS would send it now. Hot path: no allocations.
func (w *Worker) syncPacket(idx int32, e *conntrack.Entry, dest *snapshot.Dest) {
	v := e.Sync
	v = v&^syncPktsMask | (v+1)&syncPktsMask
	e.Sync = v
	if !w.sx.master || int(e.Service) >= len(w.snap.Services) {
		return
	}
	svc := &w.snap.Services[e.Service]
	if svc.Flags&snapshot.SvcOnePacket != 0 && e.Proto() == protoUDP {
		return // one-packet connections are never synced
	}
	if e.LPort != 0 {
		return // FULLNAT: the wire format has no local address and port
	}
	if !w.syncNeeded(e, v) {
		return
	}
	if e.Flags&conntrack.FlagLinked != 0 {
		l := w.links[idx]
		ti := l.ref - 1
		t := w.ct.At(ti)
		if t.Flags&conntrack.FlagTemplate != 0 && w.links[ti].gen == l.gen && int(t.Dest) < len(w.snap.Dests) {
			w.pushSync(ti, t, &w.snap.Dests[t.Dest], svc, svc.PersistTimeout)
		}
	}
	w.pushSync(idx, e, dest, svc, w.snap.Timeouts[e.State])
}

// syncNeeded is ip_vs_sync_conn_needed with sync_refresh_period 0 for
// connection e whose sync word (packet count and state last sent) is v.
// When the connection is due it records its state as sent.
func (w *Worker) syncNeeded(e *conntrack.Entry, v uint32) bool {
	pkts, old := v&syncPktsMask, conntrack.State(v>>24)
	if p := e.Proto(); p == protoTCP || p == protoSCTP {
		if !syncedState(e.State) {
			return false
		}
		if e.State != old && e.State != conntrack.StateEstablished && e.State != conntrack.StateSCTPEstablished {
			e.Sync = pkts | uint32(e.State)<<24
			return true
		}
	}
	if pkts%SyncPeriod != SyncThreshold {
		return false
	}
	e.Sync = pkts | uint32(e.State)<<24
	return true
}

// syncedState reports whether a TCP or SCTP connection in state s is
// synced (ip_vs_sync_conn_needed): TCP in ESTABLISHED, FIN_WAIT, CLOSE,
// CLOSE_WAIT or TIME_WAIT; SCTP in ESTABLISHED, SHUTDOWN_SENT,
// SHUTDOWN_RECEIVED, SHUTDOWN_ACK_SENT or CLOSED.
func syncedState(s conntrack.State) bool {
	switch s {
	case conntrack.StateEstablished, conntrack.StateFinWait, conntrack.StateClose,
		conntrack.StateCloseWait, conntrack.StateTimeWait,
		conntrack.StateSCTPEstablished, conntrack.StateSCTPShutdownSent, conntrack.StateSCTPShutdownReceived,
		conntrack.StateSCTPShutdownAckSent, conntrack.StateSCTPClosed:
		return true
	}
	return false
}

// pushSync copies entry idx (e) of service svc, bound to dest, into the
// export ring.
func (w *Worker) pushSync(idx int32, e *conntrack.Entry, dest *snapshot.Dest, svc *snapshot.Service, timeout uint32) {
	r, k := &w.sx.rec, w.keyOf(idx)
	r.Client, r.Virtual, r.Dest = k.Client, k.Virtual, dest.Addr
	r.CPort, r.VPort = k.CPort, k.VPort
	r.DPort = dest.Port
	if r.DPort == 0 && e.Flags&conntrack.FlagTemplate == 0 {
		r.DPort = k.VPort // a port-0 real server answers on the port asked for
	}
	r.Proto, r.Family, r.State = k.Proto, svc.Family, e.State
	r.Flags = e.Flags &^ conntrack.FlagLinked // the engine's own, not the wire's
	r.Method, r.FWMark, r.Timeout = dest.Method, svc.FWMark, timeout
	if !w.sx.out.push(r) {
		w.sx.ringFull.inc()
		return
	}
	w.sx.queued.inc()
}
