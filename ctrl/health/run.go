package health

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"time"
)

// result is the outcome of one probe.
type result struct {
	err    error // nil: success
	weight int32 // misc_dynamic weight on success; -1: none
}

func sameCheck(a, b Check) bool { return reflect.DeepEqual(a, b) }

// run is the life of one check: wait, probe, report, until ctx ends.
func (c *Checker) run(ctx context.Context, r *realState, cs *checkState) {
	defer c.wg.Done()
	ch := cs.cfg
	wait := ch.Warmup
	if wait < 0 {
		wait = ch.DelayLoop
	}
	if wait > 0 {
		wait = rand.N(wait)
	}
	target := targetOf(r.cfg, ch)
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res := c.probe(ctx, ch, target)
		if ctx.Err() != nil {
			return
		}
		t.Reset(c.report(r, cs, res))
	}
}

// targetOf is where a check connects: connect_ip and connect_port, or the
// real server's address and port.
func targetOf(r Real, ch Check) netip.AddrPort {
	a, p := r.Dest.Addr, r.Dest.Port
	if ch.ConnectIP.IsValid() {
		a = ch.ConnectIP
	}
	if ch.ConnectPort != 0 {
		p = ch.ConnectPort
	}
	return netip.AddrPortFrom(a.Unmap(), p)
}

// report applies a probe's outcome with keepalived's retry rule and
// returns the delay before the next probe: after a success or once
// retries are exhausted delay_loop, otherwise delay_before_retry. A check
// goes down after retry+1 consecutive failures and up after one success.
func (c *Checker) report(r *realState, cs *checkState, res result) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs.stopped {
		return time.Hour
	}
	ch := cs.cfg
	r.lastCheck = time.Now()
	log := c.cfg.Log.With("service", keyString(r.svc.key), "server", destKey(r.cfg.Dest).String(), "check", ch.Type.String())
	if res.err != nil {
		r.lastErr = res.err.Error()
		if ch.LogAllFailures || cs.up {
			log.Info("check failed", "err", res.err, "failures", cs.failures+1, "retry", ch.Retry)
		}
		if cs.failures < ch.Retry {
			cs.failures++
			return ch.DelayBeforeRetry
		}
		cs.failures = 0
		if cs.up {
			cs.up = false
			c.changedLocked(r, log)
		}
		return ch.DelayLoop
	}
	r.lastErr = ""
	cs.failures = 0
	changed := !cs.up
	cs.up = true
	if ch.Type == MiscCheck && ch.MiscDynamic && res.weight != r.dynWeight {
		if res.weight >= 0 || r.dynWeight >= 0 {
			changed = true
		}
		r.dynWeight = res.weight
	}
	if changed {
		c.changedLocked(r, log)
	}
	return ch.DelayLoop
}

// changedLocked recomputes r's health from its checks and, on a change of
// health or weight, the service's quorum and configuration.
func (c *Checker) changedLocked(r *realState, log *slog.Logger) {
	healthy := true
	for _, cs := range r.checks {
		healthy = healthy && cs.up
	}
	switch {
	case healthy && !r.healthy:
		log.Info("real server up", "weight", weightOf(r))
	case !healthy && r.healthy:
		if r.cfg.Inhibit {
			log.Warn("real server down, weight set to 0", "err", r.lastErr)
		} else {
			log.Warn("real server down, removed", "err", r.lastErr)
		}
	case healthy:
		log.Info("real server weight changed", "weight", weightOf(r))
	}
	r.healthy = healthy
	c.evalQuorumLocked(r.svc)
	c.reconcileLocked(r.svc)
}
