package model

import (
	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// Counters as IPVS keeps them. The dataplane counts per service slot and
// per destination slot, and its counters only grow (they are per-worker,
// single-writer: zeroing them would need the workers). The model keeps,
// for each service and real server, a baseline — the kernel's kstats0,
// "the counters at the last zeroing" — and lists the difference. A new
// service or real server takes the slot's current counters as its
// baseline, so a reused slot starts from zero; a real server taken back
// from the trash keeps its counters, as IPVS keeps a trashed dest's stats.
// A service counts every packet of its real servers in the dataplane
// itself, so deleting a real server does not lower the service's totals.
//
// -Z (OpZero) sets the baseline to the current counters and restarts the
// rate estimator from them, exactly as ip_vs_zero_stats does: the user and
// the estimator see the same thing as with zeroed counters. -Z of all
// services also zeroes the director's totals (totals.go).

// counts are the cumulative counters of one service or real server.
type counts struct {
	conns, inPkts, outPkts, inBytes, outBytes uint64
}

func (c counts) minus(b counts) counts {
	return counts{c.conns - b.conns, c.inPkts - b.inPkts, c.outPkts - b.outPkts, c.inBytes - b.inBytes, c.outBytes - b.outBytes}
}

// statsState is what the model keeps for the counters of one service or
// real server.
type statsState struct {
	base counts    // kstats0
	est  estimator // ip_vs_estimator
}

// reset is ip_vs_zero_stats: counters and rates start again from raw.
func (st *statsState) reset(raw counts) {
	st.base = raw
	st.est.zero(raw)
}

// stats renders the counters since the last reset.
func (st *statsState) stats(raw counts) api.Stats {
	c := raw.minus(st.base)
	return api.Stats{Conns: c.conns, InPkts: c.inPkts, OutPkts: c.outPkts, InBytes: c.inBytes, OutBytes: c.outBytes}
}

func (m *Model) svcCounts(s *service) counts {
	if m.cfg.Stats == nil {
		return counts{}
	}
	st := m.cfg.Stats.ServiceStats(s.slot)
	return counts{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes}
}

func (m *Model) destRaw(d *dest) engine.DestStats {
	if m.cfg.Stats == nil {
		return engine.DestStats{}
	}
	return m.cfg.Stats.DestStats(d.slot)
}

func destCounts(st engine.DestStats) counts {
	return counts{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes}
}

// svcStats renders a service's counters and rates.
func (m *Model) svcStats(s *service) api.Stats {
	out := s.st.stats(m.svcCounts(s))
	if m.cfg.Rates != nil {
		setRates(&out, m.cfg.Rates.ServiceRates(s.slot))
	} else {
		s.st.est.read(&out)
	}
	return out
}

// destStats renders a real server's connection counts, counters and rates.
func (m *Model) destStats(d *dest, out *api.Dest) {
	raw := m.destRaw(d)
	out.ActiveConns = uint32(raw.ActiveConns)
	out.InactConns = uint32(raw.InactConns)
	out.PersistConns = uint32(raw.PersistConns)
	out.Stats = d.st.stats(destCounts(raw))
	if m.cfg.Rates != nil {
		setRates(&out.Stats, m.cfg.Rates.DestRates(d.slot))
	} else {
		d.st.est.read(&out.Stats)
	}
}

func setRates(out *api.Stats, r api.Stats) {
	out.CPS, out.InPPS, out.OutPPS, out.InBPS, out.OutBPS = r.CPS, r.InPPS, r.OutPPS, r.InBPS, r.OutBPS
}

// startService and startDest give a new service or real server its
// baseline: the slot's counters now.
func (m *Model) startService(s *service) { s.st.reset(m.svcCounts(s)) }
func (m *Model) startDest(d *dest)       { d.st.reset(destCounts(m.destRaw(d))) }

// zeroLocked is -Z: one service and its real servers, or all of them
// (ip_vs_zero_service, ip_vs_zero_all).
func (m *Model) zeroLocked(in *api.Service) *api.Error {
	if in == nil {
		for _, s := range m.svcs {
			m.zeroService(s)
		}
		m.tot.reset(m.totalCounts()) // ip_vs_zero_all zeroes tot_stats too
		m.cfg.Log.Info("counters zeroed")
		return nil
	}
	_, s := m.findService(in.Key)
	if s == nil {
		return api.NewError(api.CodeNoService, "No such service")
	}
	m.zeroService(s)
	m.cfg.Log.Info("counters zeroed", "service", keyString(s.Key))
	return nil
}

func (m *Model) zeroService(s *service) {
	for _, d := range s.dests {
		m.startDest(d)
	}
	m.startService(s)
}
