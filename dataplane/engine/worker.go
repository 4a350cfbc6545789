package engine

import (
	"sync/atomic"
	"time"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/handoff"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/sched"
)

// BatchSize is the number of frames a worker receives per batch.
const BatchSize = 64

// expireBudget is the number of connection-table slots scanned per full
// or empty batch; a partial batch scans expirePerFrame slots per frame,
// at least expireMinBudget (expireSlots).
const (
	expireBudget    = 256
	expirePerFrame  = expireBudget / BatchSize
	expireMinBudget = 16
)

// idleWaitMs is how long an idle worker sleeps in Port.Wait, once its
// idle policy (port.Idle: Config.BusyPoll) lets it.
const idleWaitMs = 1

// Worker serves one queue. Not safe for concurrent use: its goroutine owns
// it; other goroutines only read its counters.
type Worker struct {
	id, n int
	port  port.Port
	buf   []byte
	ct    *conntrack.Table
	snapp *atomic.Pointer[snapshot.Snapshot]
	snap  *snapshot.Snapshot

	svcs    []svcState // by service slot, rebuilt per snapshot
	destIdx []int32    // dest slot → index in its service's sched dests, -1 if none
	// overloaded and thresholds carry a destination's overload state
	// from one snapshot's scheduler view to the next.
	overloaded []bool
	thresholds [][2]uint32
	dest       []destCounters
	svc        []svcCounters // by service slot

	in, out []*handoff.Ring // in[from], out[to]; nil at own index
	dirty   []bool          // out rings with unpublished slots

	rx        [BatchSize]port.Desc
	tx        [BatchSize * 2]port.Desc
	drop      [BatchSize * 2]port.Desc
	ntx       int
	ndrop     int
	expired   [expireBudget]conntrack.Record
	reclaimed conntrack.Record
	schedKey  sched.Key
	tmplKey   conntrack.Key
	ctlKey    conntrack.Key
	ek        conntrack.Key // the key of an entry the worker works on (keyOf)
	links     []persistLink // by connection-table index; only entries flagged FlagLinked or FlagTemplate (persist.go)
	tmplGen   uint32        // generation of the last template created
	ops       int32         // one-packet connection to release after its datagram, or -1
	hd        port.Desc
	idle      port.Idle // when run may sleep (Config.BusyPoll)
	ipID      uint16    // IPv4 ID of the packets the worker builds (tun.go, icmperr.go)

	fn fnState // FULLNAT ports and client address state (fullnat.go)

	pf prefetchBatch // what Poll prefetched of its batch (prefetch.go)

	reuse *atomic.Uint32 // conn_reuse_mode, expire_nodest_conn (reuse.go)

	totals destTotals // the engine's per-destination connection totals (thresholds.go)

	c    workerCounters
	stop atomic.Bool
	mailbox
	sx         workerSync // connection synchronisation (sync.go)
	peState               // persistence engines (pesip.go)
	localState            // local-node real servers (local.go)
}

func newWorker(id, n int, p port.Port, cfg Config, snap *atomic.Pointer[snapshot.Snapshot]) *Worker {
	w := &Worker{
		id: id, n: n, port: p, buf: p.Buffer(),
		ct:         conntrack.NewWithReplies(cfg.ConnCapacity, cfg.replyCapacity(), cfg.Seed^uint64(id)*0x9e3779b97f4a7c15),
		snapp:      snap,
		destIdx:    make([]int32, snapshot.MaxDests),
		dest:       make([]destCounters, snapshot.MaxDests),
		svc:        make([]svcCounters, snapshot.MaxServices),
		overloaded: make([]bool, snapshot.MaxDests),
		thresholds: make([][2]uint32, snapshot.MaxDests),
		in:         make([]*handoff.Ring, n),
		out:        make([]*handoff.Ring, n),
		dirty:      make([]bool, n),
		ops:        -1,
		idle:       port.NewIdle(cfg.BusyPoll),
	}
	w.links = make([]persistLink, w.ct.Cap())
	for i := range w.destIdx {
		w.destIdx[i] = -1
	}
	return w
}

// ID returns the worker's index.
func (w *Worker) ID() int { return w.id }

func (w *Worker) run(epoch time.Time) {
	for !w.stop.Load() {
		// Monotonic: a wall-clock step must not expire every connection.
		now := int64(time.Since(epoch))
		if w.Poll(now) > 0 {
			w.idle.Busy()
			continue
		}
		if w.idle.Empty(now) {
			w.port.Wait(idleWaitMs)
		}
	}
}

// Poll runs one batch at time now (monotonic nanoseconds): it picks up a
// new snapshot, receives and processes frames, serves frames handed over
// by other workers, transmits, expires connections and flushes the port.
// It returns the number of frames handled. Tests drive workers with it.
func (w *Worker) Poll(now int64) int {
	if s := w.snapp.Load(); s != w.snap {
		w.apply(s)
	}
	w.checkMailbox(now)
	w.pollSync(now)
	n := w.port.Receive(w.rx[:])
	if w.snap == nil {
		w.port.Free(w.rx[:n])
		w.c.drops[verdict.NoService].add(uint64(n))
		w.port.Flush()
		return n
	}
	w.prefetch(w.rx[:n])
	for i := 0; i < n; i++ {
		w.handle(&w.rx[i], now, false)
	}
	m := w.drainHandoffs(now)
	w.publishHandoffs()
	w.transmit()
	w.flushLocal()
	w.expire(now, expireSlots(n+m))
	w.port.Flush()
	w.c.batches.inc()
	return n + m
}

// expireSlots is the expiry sweep's budget for a batch of n frames. A
// worker that keeps up with its queue runs many small batches: scanning
// the full budget after each would cost more per frame than forwarding
// it once the table is large (1M live entries: the sweep walks cold
// memory), so a partial batch scans in proportion to its frames. Empty
// batches (an idle worker) and full ones scan the full budget, so a full
// sweep still takes at most high/expirePerFrame frames or high/expireBudget
// idle polls, and the sweep always outpaces insertion (at most one new
// connection per frame).
func expireSlots(n int) int {
	if n == 0 || n >= BatchSize {
		return expireBudget
	}
	return max(expireMinBudget, n*expirePerFrame)
}

// handle processes one frame and queues it for transmission, a drop or a
// handoff.
// Frames that arrive by handoff were counted as received by the worker
// that took them off the wire; here they count as handoff-in only.
func (w *Worker) handle(d *port.Desc, now int64, handedOff bool) {
	if !handedOff {
		w.c.rxPackets.inc()
		w.c.rxBytes.add(uint64(d.Len))
	}
	to, v := w.process(d, now, handedOff)
	if w.ops >= 0 {
		w.releaseOnePacket(now, v == verdict.Tx)
	}
	switch v {
	case verdict.Tx:
		w.tx[w.ntx] = *d
		w.ntx++
	case verdict.Handoff:
		w.handoff(d, to)
		w.queueFree(d)
	case verdict.Local:
		w.queueLocal(d)
	default:
		w.queueFree(d)
	}
}

func (w *Worker) queueFree(d *port.Desc) {
	w.drop[w.ndrop] = *d
	w.ndrop++
}

// handoff copies the frame into the owner's ring.
func (w *Worker) handoff(d *port.Desc, to int) {
	// Check the size before reserving: a reserved slot is published with
	// the batch whether or not it was filled.
	if d.Len > handoff.SlotSize {
		w.c.drops[verdict.FrameTooBig].inc()
		return
	}
	s := w.out[to].Reserve()
	if s == nil {
		w.c.drops[verdict.HandoffFull].inc()
		return
	}
	s.Len = uint16(copy(s.Data[:], w.buf[d.Addr:d.Addr+uint64(d.Len)]))
	s.Link = d.Link
	w.dirty[to] = true
	w.c.handoffOut.inc()
}

func (w *Worker) publishHandoffs() {
	for i, dirty := range w.dirty {
		if dirty {
			w.out[i].Publish()
			w.dirty[i] = false
		}
	}
}

// drainHandoffs processes frames other workers handed to this one, at most
// one batch per ring so that the transmit and drop arrays cannot overflow.
func (w *Worker) drainHandoffs(now int64) int {
	total := 0
	for _, r := range w.in {
		if r == nil {
			continue
		}
		for k := 0; k < BatchSize/max(1, w.n-1); k++ {
			s := r.Peek()
			if s == nil {
				break
			}
			d := &w.hd // a local would escape through the interface call
			if !w.port.Alloc(d) {
				w.c.drops[verdict.HandoffFull].inc()
				r.Next()
				continue
			}
			d.Len = uint32(copy(w.buf[d.Addr:d.Addr+uint64(w.port.FrameSize())], s.Data[:s.Len]))
			d.Link = s.Link
			r.Next()
			w.c.handoffIn.inc()
			w.handle(d, now, true)
			total++
		}
		r.Release()
	}
	return total
}

func (w *Worker) transmit() {
	if w.ntx > 0 {
		sent := w.port.Transmit(w.tx[:w.ntx])
		for i := 0; i < sent; i++ {
			w.c.txPackets.inc()
			w.c.txBytes.add(uint64(w.tx[i].Len))
		}
		if sent < w.ntx {
			w.c.drops[verdict.TxRingFull].add(uint64(w.ntx - sent))
		}
		w.ntx = 0
	}
	if w.ndrop > 0 {
		w.port.Free(w.drop[:w.ndrop])
		w.ndrop = 0
	}
}
