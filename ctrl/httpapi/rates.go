package httpapi

import (
	"context"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// EstimatorInterval is how often IPVS's estimator samples: 2 seconds.
const EstimatorInterval = 2 * time.Second

// Rates are per-second averages of a service's or real server's counters.
type Rates struct {
	CPS    uint64 `json:"cps"`     // connections per second
	InPPS  uint64 `json:"in_pps"`  // incoming packets per second
	OutPPS uint64 `json:"out_pps"` // outgoing packets per second
	InBPS  uint64 `json:"in_bps"`  // incoming bytes per second
	OutBPS uint64 `json:"out_bps"` // outgoing bytes per second
}

// estKey names one estimated object: a service (dest false) or one of its
// real servers.
type estKey struct {
	svc  api.ServiceKey
	addr netip.Addr
	port uint16
	dest bool
}

type est struct {
	last api.Stats
	avg  [5]float64
	gen  uint64
}

// Estimator keeps smoothed rates of services and real servers from
// successive samples of their counters.
type Estimator struct {
	mu   sync.Mutex
	ests map[estKey]*est
	gen  uint64
}

// NewEstimator returns an estimator without samples (all rates zero).
func NewEstimator() *Estimator { return &Estimator{ests: map[estKey]*est{}} }

// Sample feeds the counters of svcs, read interval after the previous
// sample. The first sample of an object only records its counters; a
// counter that went backwards (zeroed, or a slot reused) restarts it the
// same way. Objects absent from svcs are forgotten.
func (e *Estimator) Sample(svcs []api.Service, interval time.Duration) {
	secs := interval.Seconds()
	if secs <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen++
	for i := range svcs {
		s := &svcs[i]
		e.sampleOne(estKey{svc: s.Key}, &s.Stats, secs)
		for j := range s.Dests {
			d := &s.Dests[j]
			e.sampleOne(estKey{svc: s.Key, addr: d.Addr, port: d.Port, dest: true}, &d.Stats, secs)
		}
	}
	for k, v := range e.ests {
		if v.gen != e.gen {
			delete(e.ests, k)
		}
	}
}

func (e *Estimator) sampleOne(k estKey, st *api.Stats, secs float64) {
	x := e.ests[k]
	if x == nil {
		e.ests[k] = &est{last: *st, gen: e.gen}
		return
	}
	x.gen = e.gen
	now := [5]uint64{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes}
	prev := [5]uint64{x.last.Conns, x.last.InPkts, x.last.OutPkts, x.last.InBytes, x.last.OutBytes}
	x.last = *st
	for i := range now {
		if now[i] < prev[i] {
			x.avg = [5]float64{}
			return
		}
	}
	for i := range now {
		rate := float64(now[i]-prev[i]) / secs
		x.avg[i] += (rate - x.avg[i]) / 4
	}
}

// rates returns the rates of k, zero if it has none yet.
func (e *Estimator) rates(k estKey) Rates {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.ests[k]
	if x == nil {
		return Rates{}
	}
	r := func(v float64) uint64 { return uint64(math.Round(v)) }
	return Rates{CPS: r(x.avg[0]), InPPS: r(x.avg[1]), OutPPS: r(x.avg[2]), InBPS: r(x.avg[3]), OutBPS: r(x.avg[4])}
}

// ServiceRates returns the rates of service k.
func (e *Estimator) ServiceRates(k api.ServiceKey) Rates { return e.rates(estKey{svc: k}) }

// DestRates returns the rates of real server addr:port of service k.
func (e *Estimator) DestRates(k api.ServiceKey, addr netip.Addr, port uint16) Rates {
	return e.rates(estKey{svc: k, addr: addr, port: port, dest: true})
}

// Run samples list every interval until ctx ends.
func (e *Estimator) Run(ctx context.Context, interval time.Duration, list func() []api.Service) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := time.Now()
	e.Sample(list(), interval)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			e.Sample(list(), now.Sub(last))
			last = now
		}
	}
}
