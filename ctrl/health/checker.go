package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Applier executes control requests; *model.Model implements it, and so
// the checker changes the configuration exactly as xlvsadm does.
type Applier interface {
	Do(req *api.Request) *api.Response
}

// Config wires a [Checker].
type Config struct {
	// Apply receives the requests (required).
	Apply Applier
	// Log receives state changes (real server up/down, quorum, failed
	// requests); nil: discard.
	Log *slog.Logger
	// Enter runs fn where the checks' sockets and processes are to be
	// created, for instance inside a network namespace (netlab's NS.Do);
	// nil: in the calling goroutine.
	Enter func(fn func() error) error
}

// ErrNoApplier is returned by [New] without [Config.Apply].
var ErrNoApplier = errors.New("health: Config.Apply is required")

// ErrDuplicateService is returned by [Checker.Update] when two services
// have the same key.
var ErrDuplicateService = errors.New("health: duplicate virtual service")

// Checker runs the checks of a set of services and applies their outcome.
type Checker struct {
	cfg Config

	mu      sync.Mutex
	closed  bool
	svcs    []*svcState // configuration order
	applied map[api.ServiceKey]*api.Service
	wg      sync.WaitGroup
}

type svcState struct {
	cfg      Service
	key      api.ServiceKey
	reals    []*realState
	quorumUp bool
}

type realState struct {
	cfg       Real
	svc       *svcState
	checks    []*checkState
	healthy   bool
	dynWeight int32 // MISC_CHECK misc_dynamic weight; -1: none
	lastCheck time.Time
	lastErr   string
}

type checkState struct {
	cfg      Check
	up       bool
	failures int // consecutive failures not yet acted on
	stopped  bool
	cancel   context.CancelFunc
}

// New returns a checker with no services.
func New(cfg Config) (*Checker, error) {
	if cfg.Apply == nil {
		return nil, ErrNoApplier
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Enter == nil {
		cfg.Enter = func(fn func() error) error { return fn() }
	}
	return &Checker{cfg: cfg, applied: map[api.ServiceKey]*api.Service{}}, nil
}

// Update makes services the complete set the checker is responsible for
// and applies the difference from the previous set: services and real
// servers that are gone are deleted, new ones added (real servers whose
// checks all start with alpha wait for a first success), changed
// attributes edited. A real server that stays keeps its health state; if
// its checks changed they restart from that state, so a failing server
// stays out until a new check passes. Requests the director refuses are
// logged and retried at the next change of that service.
func (c *Checker) Update(services []Service) error {
	seen := map[api.ServiceKey]bool{}
	for i := range services {
		k := normKey(services[i].Service.Key)
		if seen[k] {
			return fmt.Errorf("%w: %s", ErrDuplicateService, keyString(k))
		}
		seen[k] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("health: checker is closed")
	}
	old := map[api.ServiceKey]*svcState{}
	for _, s := range c.svcs {
		old[s.key] = s
	}
	var next []*svcState
	var started []*realState
	for i := range services {
		k := normKey(services[i].Service.Key)
		s := old[k]
		delete(old, k)
		if s == nil {
			s = &svcState{key: k, quorumUp: true}
		}
		started = append(started, c.updateServiceLocked(s, services[i])...)
		next = append(next, s)
	}
	for _, s := range c.svcs {
		if _, gone := old[s.key]; gone {
			for _, r := range s.reals {
				stopChecks(r)
			}
			c.applyLocked(diffService(c.applied[s.key], nil))
		}
	}
	c.svcs = next
	for _, s := range c.svcs {
		c.evalQuorumLocked(s)
		c.reconcileLocked(s)
	}
	for _, r := range started {
		c.startChecksLocked(r)
	}
	return nil
}

// updateServiceLocked replaces s's configuration with cfg, keeping the
// state of the real servers that stay, and returns the real servers whose
// checks must be started.
func (c *Checker) updateServiceLocked(s *svcState, cfg Service) []*realState {
	cfg.Service.Key = s.key
	if cfg.Quorum == 0 {
		cfg.Quorum = 1
	}
	s.cfg = cfg
	old := map[netip.AddrPort]*realState{}
	for _, r := range s.reals {
		old[destKey(r.cfg.Dest)] = r
	}
	var reals, start []*realState
	for _, rc := range cfg.Reals {
		k := destKey(rc.Dest)
		r := old[k]
		delete(old, k)
		switch {
		case r == nil:
			r = &realState{svc: s, dynWeight: -1, healthy: true}
			for _, ch := range rc.Checks {
				if ch.Alpha {
					r.healthy = false
				}
			}
			r.cfg = rc
			start = append(start, r)
		case !slices.EqualFunc(r.cfg.Checks, rc.Checks, sameCheck):
			stopChecks(r)
			r.cfg, r.checks, r.dynWeight = rc, nil, -1
			start = append(start, r)
		default:
			r.cfg = rc
		}
		reals = append(reals, r)
	}
	for _, r := range old {
		stopChecks(r)
	}
	s.reals = reals
	return start
}

// startChecksLocked starts r's checks; each starts in r's current state.
func (c *Checker) startChecksLocked(r *realState) {
	for _, ch := range r.cfg.Checks {
		ctx, cancel := context.WithCancel(context.Background())
		cs := &checkState{cfg: ch, up: r.healthy, cancel: cancel}
		r.checks = append(r.checks, cs)
		c.wg.Add(1)
		go c.run(ctx, r, cs)
	}
}

func stopChecks(r *realState) {
	for _, cs := range r.checks {
		cs.stopped = true
		cs.cancel()
	}
}

// Close stops every check and waits for them. It leaves the director's
// configuration as it is.
func (c *Checker) Close() {
	c.mu.Lock()
	c.closed = true
	for _, s := range c.svcs {
		for _, r := range s.reals {
			stopChecks(r)
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// weightOf is the weight r has while healthy.
func weightOf(r *realState) int32 {
	if r.dynWeight >= 0 {
		return r.dynWeight
	}
	return r.cfg.Dest.Weight
}

// evalQuorumLocked updates s's quorum state as keepalived's
// update_quorum_state does: gained when the weights of the healthy real
// servers reach quorum+hysteresis, lost when they are 0 or below
// quorum-hysteresis.
func (c *Checker) evalQuorumLocked(s *svcState) {
	var sum int64
	for _, r := range s.reals {
		if r.healthy {
			sum += int64(weightOf(r))
		}
	}
	up := int64(s.cfg.Quorum) + int64(s.cfg.Hysteresis)
	down := int64(s.cfg.Quorum) - int64(s.cfg.Hysteresis)
	switch {
	case !s.quorumUp && sum >= up:
		s.quorumUp = true
		c.cfg.Log.Info("quorum gained", "service", keyString(s.key), "weight", sum, "quorum", s.cfg.Quorum, "hysteresis", s.cfg.Hysteresis)
	case s.quorumUp && (sum == 0 || sum < down):
		s.quorumUp = false
		c.cfg.Log.Warn("quorum lost", "service", keyString(s.key), "weight", sum, "quorum", s.cfg.Quorum, "hysteresis", s.cfg.Hysteresis)
	}
}

// desiredLocked is what the director should hold for s now.
func desiredLocked(s *svcState) *api.Service {
	d := svcOnly(&s.cfg.Service)
	sorryIn := s.cfg.Sorry != nil && !s.quorumUp
	for _, r := range s.reals {
		switch {
		case r.healthy && !sorryIn:
			rd := *destOnly(r.cfg.Dest)
			rd.Weight = weightOf(r)
			d.Dests = append(d.Dests, rd)
		case !r.healthy && r.cfg.Inhibit:
			rd := *destOnly(r.cfg.Dest)
			rd.Weight = 0
			d.Dests = append(d.Dests, rd)
		}
	}
	if s.cfg.Sorry != nil && (sorryIn || s.cfg.SorryInhibit) {
		sd := *destOnly(*s.cfg.Sorry)
		if !sorryIn {
			sd.Weight = 0
		}
		d.Dests = append(d.Dests, sd)
	}
	return d
}

// reconcileLocked sends what separates the applied state of s from the
// desired one.
func (c *Checker) reconcileLocked(s *svcState) {
	c.applyLocked(diffService(c.applied[s.key], desiredLocked(s)))
}

// applyLocked sends reqs in order and records in c.applied what the
// director accepted. An add of something that exists already becomes an
// edit; a delete of something absent counts as done.
func (c *Checker) applyLocked(reqs []*api.Request) {
	for _, req := range reqs {
		resp := c.cfg.Apply.Do(req)
		if resp != nil && resp.Err != nil {
			switch {
			case req.Op == api.OpAddService && resp.Err.C == api.CodeExists:
				resp = c.cfg.Apply.Do(&api.Request{Op: api.OpEditService, Service: req.Service})
			case req.Op == api.OpAddDest && resp.Err.C == api.CodeExists:
				resp = c.cfg.Apply.Do(&api.Request{Op: api.OpEditDest, Service: req.Service, Dest: req.Dest})
			case req.Op == api.OpDelService && resp.Err.C == api.CodeNoService,
				req.Op == api.OpDelDest && (resp.Err.C == api.CodeNotFound || resp.Err.C == api.CodeNoService):
				resp = &api.Response{}
			}
		}
		if resp != nil && resp.Err != nil {
			args := []any{"op", req.Op, "service", keyString(req.Service.Key), "err", resp.Err.Msg}
			if req.Dest != nil {
				args = append(args, "server", destKey(*req.Dest).String())
			}
			c.cfg.Log.Error("request refused", args...)
			continue
		}
		c.record(req)
	}
}

// record notes an accepted request in c.applied.
func (c *Checker) record(req *api.Request) {
	k := normKey(req.Service.Key)
	switch req.Op {
	case api.OpAddService, api.OpEditService:
		s := svcOnly(req.Service)
		if old := c.applied[k]; old != nil {
			s.Dests = old.Dests
		}
		c.applied[k] = s
	case api.OpDelService:
		delete(c.applied, k)
	case api.OpAddDest, api.OpEditDest, api.OpDelDest:
		s := c.applied[k]
		if s == nil {
			return
		}
		dk := destKey(*req.Dest)
		s.Dests = slices.DeleteFunc(s.Dests, func(d api.Dest) bool { return destKey(d) == dk })
		if req.Op != api.OpDelDest {
			s.Dests = append(s.Dests, *req.Dest)
		}
	}
}

func keyString(k api.ServiceKey) string {
	if k.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", k.FWMark)
	}
	p := "tcp"
	switch k.Protocol {
	case api.ProtoUDP:
		p = "udp"
	case api.ProtoSCTP:
		p = "sctp"
	}
	return p + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}
