package model

import (
	"log/slog"
	"net/netip"
	"sync"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// NextHops resolves where frames for a real server leave; *netinfo.Resolver
// implements it.
type NextHops interface {
	Watch(addrs []netip.Addr)
	Lookup(addr netip.Addr) (netinfo.NextHop, bool)
}

// Stats reads the dataplane's per-destination and per-service counters;
// *engine.Engine implements it. The counters of a slot only grow: the model
// keeps baselines for -Z and for reused slots (stats.go).
type Stats interface {
	DestStats(slot uint32) engine.DestStats
	ServiceStats(slot uint32) engine.ServiceStats
}

// Config wires a model to the rest of the daemon.
type Config struct {
	// Links are the interfaces the dataplane serves, in port link order.
	Links []snapshot.Link
	// NextHops resolves real servers; nil: every next hop is unresolved.
	NextHops NextHops
	// Stats provides counters; nil: all counters read zero.
	Stats Stats
	// Publish receives every new snapshot.
	Publish func(*snapshot.Snapshot)
	// ConnTabSize is reported as IPVS's connection table size.
	ConnTabSize uint32
	// Counters reports dataplane counters for OpGetCounters; nil: none.
	Counters func() map[string]uint64
	// Log receives state changes; nil: discard.
	Log *slog.Logger
	// Conns lists the dataplane's connections (OpListConns);
	// *engine.Engine implements it. nil: no connections.
	Conns ConnLister
	// Rates, when set, replaces the model's rate estimator: tests inject
	// the rates they want listed. nil: the estimator (estimator.go).
	Rates Rates

	// IfIndex maps an interface name to its index, for the -F of local
	// addresses; nil: the interfaces of the daemon's namespace.
	IfIndex func(name string) int

	// Sync runs connection sync daemons (sync.go); nil: refused.
	Sync SyncDaemons
	// IsLocal reports whether an address is one of the director's own
	// (the kernel's inet_addr_type == RTN_LOCAL): such a real server is
	// forwarded as a local node (local.go). nil: none is.
	IsLocal func(netip.Addr) bool
}

// Model is the configuration of one director.
type Model struct {
	mu       sync.Mutex
	cfg      Config
	svcs     []*service // in insertion order, as IPVS lists them unsorted
	trash    []*dest    // deleted destinations connections may still use
	svcSlots slots
	dstSlots slots
	marks    []api.MarkRule // in rule order (mark.go)
	timeouts conntrack.Timeouts
	gen      uint64

	fnat laddrs // FULLNAT local addresses (laddr.go)

	tot  statsState // the director's totals (totals.go)
	sync syncState  // connection sync daemons (sync.go), under their own lock
}

type service struct {
	api.Service // configuration fields only; Dests and Stats unused
	slot        uint32
	dests       []*dest
	st          statsState
}

type dest struct {
	api.Dest         // configuration fields only
	lastWeight int32 // the kernel's last_weight: the latest non-zero weight
	slot       uint32
	svc        api.ServiceKey
	svcSlot    uint32
	st         statsState
}

// New returns an empty model and publishes its first (empty) snapshot.
func New(cfg Config) *Model {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Model{
		cfg:      cfg,
		svcSlots: newSlots(snapshot.MaxServices),
		dstSlots: newSlots(snapshot.MaxDests),
		timeouts: conntrack.DefaultTimeouts(),
	}
	m.tot.reset(m.totalCounts())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishLocked()
	return m
}

// Refresh recompiles the snapshot, for instance after next hops changed,
// and reclaims deleted destinations that no connection uses any more.
func (m *Model) Refresh() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishLocked()
}

// Do executes one control request. It never panics on malformed input.
func (m *Model) Do(req *api.Request) *api.Response {
	if req == nil {
		return errResp(api.NewError(api.CodeInvalid, "empty request"))
	}
	if req.Op == api.OpListConns {
		// Listing waits for the workers: not under the model's lock.
		return m.listConns()
	}
	if req.Op == api.OpStartDaemon || req.Op == api.OpStopDaemon || req.Op == api.OpGetDaemons {
		return m.doSync(req)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err *api.Error
	resp := &api.Response{}
	switch req.Op {
	case api.OpGetInfo:
		resp.Info = &api.Info{Version: 0x010201, ConnTabSize: m.cfg.ConnTabSize, NumServices: uint32(len(m.svcs))}
	case api.OpListService:
		resp.Services = m.listLocked()
	case api.OpGetService:
		var s api.Service
		if s, err = m.getLocked(req.Service); err == nil {
			resp.Services = []api.Service{s}
		}
	case api.OpAddService:
		err = m.addServiceLocked(req.Service)
	case api.OpEditService:
		err = m.editServiceLocked(req.Service)
	case api.OpDelService:
		err = m.delServiceLocked(req.Service)
	case api.OpFlush:
		m.flushLocked()
	case api.OpAddDest:
		err = m.addDestLocked(req.Service, req.Dest)
	case api.OpEditDest:
		err = m.editDestLocked(req.Service, req.Dest)
	case api.OpDelDest:
		err = m.delDestLocked(req.Service, req.Dest)
	case api.OpGetCounters:
		resp.Counters = map[string]uint64{}
		if m.cfg.Counters != nil {
			resp.Counters = m.cfg.Counters()
		}
	case api.OpGetTimeouts:
		resp.Timeouts = m.timeoutsLocked()
	case api.OpSetTimeouts:
		err = m.setTimeoutsLocked(req.Timeouts)
	case api.OpZero:
		err = m.zeroLocked(req.Service)
	case api.OpAddLaddr, api.OpDelLaddr, api.OpGetLaddrs:
		err = m.laddrLocked(req, resp)
	case api.OpAddMarkRule, api.OpDelMarkRule, api.OpListMarkRules:
		resp.MarkRules, err = m.markRuleLocked(req.Op, req.MarkRule)
	default:
		err = api.NewError(api.CodeUnsupported, "operation "+string(req.Op)+" is not supported by xlvs yet")
	}
	if err != nil {
		return errResp(err)
	}
	switch req.Op {
	case api.OpAddService, api.OpEditService, api.OpDelService, api.OpFlush,
		api.OpAddDest, api.OpEditDest, api.OpDelDest, api.OpSetTimeouts, api.OpAddLaddr, api.OpDelLaddr,
		api.OpAddMarkRule, api.OpDelMarkRule:
		m.publishLocked()
	}
	return resp
}

func errResp(err *api.Error) *api.Response { return &api.Response{Err: err} }

func (m *Model) timeoutsLocked() *api.Timeouts {
	return &api.Timeouts{
		TCP:    m.timeouts[conntrack.StateEstablished],
		TCPFin: m.timeouts[conntrack.StateFinWait],
		UDP:    m.timeouts[conntrack.StateUDP],
	}
}

// slots hands out stable small integers.
type slots struct {
	free []uint32
	next uint32
	max  uint32
}

func newSlots(max int) slots { return slots{max: uint32(max)} }

func (s *slots) get() (uint32, bool) {
	if n := len(s.free); n > 0 {
		v := s.free[n-1]
		s.free = s.free[:n-1]
		return v, true
	}
	if s.next >= s.max {
		return 0, false
	}
	s.next++
	return s.next - 1, true
}

func (s *slots) put(v uint32) { s.free = append(s.free, v) }
