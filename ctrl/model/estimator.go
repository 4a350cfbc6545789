package model

import (
	"context"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// EstimatorInterval is how often IPVS's rate estimator samples the
// counters (ip_vs_est.c: every 2 seconds).
const EstimatorInterval = 2 * time.Second

// estimator is IPVS's rate estimator (ip_vs_est.c) for one service or
// real server, with the kernel's arithmetic: every 2 seconds it takes the
// counters' increase and moves an exponentially weighted average a
// quarter of the way towards it,
//
//	avg += (rate - avg) / 4      (W = 2^-2)
//
// where rate is per second and fixed point: connections and packets are
// scaled by 2^10 (increase << 9, the <<10 halved for the 2 seconds),
// bytes by 2^5 (increase << 4). Reading rounds to the nearest unit:
// (avg + 0x1FF) >> 10 and (avg + 0xF) >> 5 (ip_vs_read_estimator).
type estimator struct {
	last               counts
	cps, inpps, outpps uint64 // scaled by 2^10
	inbps, outbps      uint64 // scaled by 2^5
}

// ewma is "avg += ((s64)rate - (s64)avg) >> 2" on the kernel's u64 fields.
func ewma(avg *uint64, rate uint64) {
	*avg += uint64((int64(rate) - int64(*avg)) >> 2)
}

// sample is one 2-second tick of estimation_timer / ip_vs_chain_estimation.
func (e *estimator) sample(c counts) {
	ewma(&e.cps, (c.conns-e.last.conns)<<9)
	ewma(&e.inpps, (c.inPkts-e.last.inPkts)<<9)
	ewma(&e.outpps, (c.outPkts-e.last.outPkts)<<9)
	ewma(&e.inbps, (c.inBytes-e.last.inBytes)<<4)
	ewma(&e.outbps, (c.outBytes-e.last.outBytes)<<4)
	e.last = c
}

// zero is ip_vs_zero_estimator: averages to zero, increases counted from c.
func (e *estimator) zero(c counts) { *e = estimator{last: c} }

// read is ip_vs_read_estimator: the rates in units per second.
func (e *estimator) read(out *api.Stats) {
	out.CPS = (e.cps + 0x1FF) >> 10
	out.InPPS = (e.inpps + 0x1FF) >> 10
	out.OutPPS = (e.outpps + 0x1FF) >> 10
	out.InBPS = (e.inbps + 0xF) >> 5
	out.OutBPS = (e.outbps + 0xF) >> 5
}

// Estimate runs one tick of the rate estimator over every service and
// real server. [Model.RunEstimator] calls it every [EstimatorInterval];
// tests call it directly. The director's totals are estimated too, as
// the kernel's tot_stats are. Deleted real servers in the trash are not
// estimated (IPVS stops their estimator); one taken back resumes from its
// counters, which did not move meanwhile.
func (m *Model) Estimate() {
	tot := m.totalCounts()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tot.est.sample(tot)
	for _, s := range m.svcs {
		s.st.est.sample(m.svcCounts(s))
		for _, d := range s.dests {
			d.st.est.sample(destCounts(m.destRaw(d)))
		}
	}
}

// RunEstimator calls [Model.Estimate] every [EstimatorInterval] until ctx
// ends.
func (m *Model) RunEstimator(ctx context.Context) {
	t := time.NewTicker(EstimatorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Estimate()
		}
	}
}
