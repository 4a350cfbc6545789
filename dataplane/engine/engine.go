package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xlvs/xlvs/dataplane/handoff"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/affinity"
)

// Config sizes an engine.
type Config struct {
	// ConnCapacity is the connection table capacity of each worker.
	ConnCapacity int
	// ReplyCapacity is how many connections of each worker may have a
	// reply key at a time (NAT, later FULLNAT: the connections whose
	// replies pass through the director); DR and TUN connections need
	// none. 0 means ConnCapacity/DefaultReplyDivisor; negative, none.
	ReplyCapacity int
	// HandoffSize is the number of slots of each handoff ring (power of two).
	HandoffSize int
	// CPUs pins worker i to CPUs[i % len(CPUs)]; empty: no pinning.
	CPUs []int
	// Seed seeds the connection table hashes.
	Seed uint64
	// FullNATMinPort and FullNATMaxPort bound the FULLNAT local ports
	// (0: fullnat.DefaultMinPort, DefaultMaxPort); every worker must get
	// at least one port of the range.
	FullNATMinPort, FullNATMaxPort uint16
	// BusyPoll is how long a worker keeps polling after its last frame
	// before it may sleep in Port.Wait: 0 means DefaultBusyPoll,
	// negative none (port.Idle).
	BusyPoll time.Duration
}

// DefaultReplyDivisor sets the default reply capacity: a quarter of the
// connection capacity. Each reply record costs about 70 bytes with its
// index slot, reserved whether used or not (ARCHITECTURE.md).
const DefaultReplyDivisor = 4

// replyCapacity resolves cfg.ReplyCapacity.
func (cfg *Config) replyCapacity() int {
	switch {
	case cfg.ReplyCapacity < 0:
		return 0
	case cfg.ReplyCapacity == 0:
		return cfg.ConnCapacity / DefaultReplyDivisor
	default:
		return min(cfg.ReplyCapacity, cfg.ConnCapacity)
	}
}

// DefaultConfig returns the sizes xlvsd uses unless told otherwise.
func DefaultConfig() Config {
	return Config{ConnCapacity: 1 << 20, HandoffSize: 1024, Seed: uint64(time.Now().UnixNano())}
}

// Engine is the set of workers and the snapshot they share.
type Engine struct {
	snap    atomic.Pointer[snapshot.Snapshot]
	workers []*Worker
	cfg     Config
	wg      sync.WaitGroup
	running atomic.Bool
	listMu  sync.Mutex // one connection listing at a time (mailbox.go)
	sync    engineSync // connection synchronisation (sync.go)

	reuse atomic.Uint32 // conn_reuse_mode, expire_nodest_conn (reuse.go)

	totals destTotals // connections per destination over all workers (thresholds.go)
}

// ErrNoPorts is returned by New without ports.
var ErrNoPorts = errors.New("engine needs at least one port")

// New builds one worker per port. Worker i serves ports[i].
func New(cfg Config, ports []port.Port) (*Engine, error) {
	if len(ports) == 0 {
		return nil, ErrNoPorts
	}
	if cfg.ConnCapacity <= 0 {
		return nil, fmt.Errorf("invalid connection capacity %d", cfg.ConnCapacity)
	}
	e := &Engine{cfg: cfg, totals: newDestTotals()}
	e.reuse.Store(DefaultConnReuse().pack())
	n := len(ports)
	rings := make([][]*handoff.Ring, n) // rings[from][to]
	for from := range rings {
		rings[from] = make([]*handoff.Ring, n)
		for to := range rings[from] {
			if from == to {
				continue
			}
			r, err := handoff.New(cfg.HandoffSize)
			if err != nil {
				return nil, err
			}
			rings[from][to] = r
		}
	}
	for i, p := range ports {
		w := newWorker(i, n, p, cfg, &e.snap)
		if err := w.initFullNAT(cfg.FullNATMinPort, cfg.FullNATMaxPort); err != nil {
			return nil, err
		}
		w.initSync(&e.sync.master)
		w.reuse = &e.reuse
		w.totals = e.totals
		for j := 0; j < n; j++ {
			w.out[j] = rings[i][j]
			w.in[j] = rings[j][i]
		}
		e.workers = append(e.workers, w)
	}
	return e, nil
}

// Publish makes s the configuration every worker uses from its next batch on.
func (e *Engine) Publish(s *snapshot.Snapshot) { e.snap.Store(s) }

// Snapshot returns the published snapshot (nil before the first Publish).
func (e *Engine) Snapshot() *snapshot.Snapshot { return e.snap.Load() }

// Workers returns the workers, for tests that drive them with Poll.
func (e *Engine) Workers() []*Worker { return e.workers }

// Start runs every worker on its own goroutine locked to an OS thread and,
// when CPUs are configured, pinned.
func (e *Engine) Start() error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("engine already running")
	}
	errs := make(chan error, len(e.workers))
	epoch := time.Now()
	for i, w := range e.workers {
		cpu := -1
		if len(e.cfg.CPUs) > 0 {
			cpu = e.cfg.CPUs[i%len(e.cfg.CPUs)]
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if cpu >= 0 {
				if err := affinity.Pin(cpu); err != nil {
					errs <- fmt.Errorf("worker %d: pin to cpu %d: %w", w.id, cpu, err)
					return
				}
			}
			errs <- nil
			w.running.Store(true)
			w.run(epoch)
			w.running.Store(false)
		}()
	}
	for range e.workers {
		if err := <-errs; err != nil {
			e.Stop()
			return err
		}
	}
	return nil
}

// Stop asks every worker to finish its batch and waits for them.
func (e *Engine) Stop() {
	for _, w := range e.workers {
		w.stop.Store(true)
	}
	e.wg.Wait()
	e.running.Store(false)
}

// Counters returns the totals of all workers.
func (e *Engine) Counters() Counters {
	var c Counters
	for _, w := range e.workers {
		w.c.snapshot(&c)
		c.ConnCapacity += uint64(w.ct.Cap())
	}
	return c
}

// WorkerCounters returns the totals of worker i.
func (e *Engine) WorkerCounters(i int) Counters {
	var c Counters
	e.workers[i].c.snapshot(&c)
	c.ConnCapacity = uint64(e.workers[i].ct.Cap())
	return c
}

// ServiceStats sums the counters of service slot id over all workers.
func (e *Engine) ServiceStats(id uint32) ServiceStats {
	var s ServiceStats
	if id >= snapshot.MaxServices {
		return s
	}
	for _, w := range e.workers {
		c := &w.svc[id]
		s.Conns += c.conns.load()
		s.InPkts += c.inPkts.load()
		s.InBytes += c.inBytes.load()
		s.OutPkts += c.outPkts.load()
		s.OutBytes += c.outBytes.load()
	}
	return s
}

// DestStats sums the counters of destination slot id over all workers.
func (e *Engine) DestStats(id uint32) DestStats {
	var s DestStats
	if id >= snapshot.MaxDests {
		return s
	}
	for _, w := range e.workers {
		d := &w.dest[id]
		s.ActiveConns += d.active.load()
		s.InactConns += d.inactive.load()
		s.PersistConns += d.persist.load()
		s.Conns += d.conns.load()
		s.InPkts += d.inPkts.load()
		s.InBytes += d.inBytes.load()
		s.OutPkts += d.outPkts.load()
		s.OutBytes += d.outBytes.load()
	}
	return s
}
