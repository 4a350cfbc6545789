package model

import (
	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// The director's totals are what Linux shows in /proc/net/ip_vs_stats
// (ipvs->tot_stats), which node_exporter reads for its
// node_ipvs_{connections,incoming_packets,...}_total counters. The kernel
// counts them per packet beside the real server's and the service's
// counters, independently of both: deleting a service or a real server
// does not lower them, and neither does -Z of one service
// (ip_vs_zero_service). Only -Z of everything (ip_vs_zero_all) moves
// their baseline, like every service's, and restarts their estimator.
//
// The dataplane counts each packet for exactly one service slot, and a
// slot's counters only grow (a reused slot keeps its old counts), so the
// sum over every service slot is the kernel's tot_stats since start.

// totalCounts sums the counters of every service slot.
func (m *Model) totalCounts() counts {
	var t counts
	if m.cfg.Stats == nil {
		return t
	}
	for slot := uint32(0); slot < snapshot.MaxServices; slot++ {
		s := m.cfg.Stats.ServiceStats(slot)
		t.conns += s.Conns
		t.inPkts += s.InPkts
		t.outPkts += s.OutPkts
		t.inBytes += s.InBytes
		t.outBytes += s.OutBytes
	}
	return t
}

// Totals returns the director's totals and their rates, as
// /proc/net/ip_vs_stats shows them: every connection, packet and byte
// counted since start or since the last -Z of all services, deleted
// services included. It reads every service slot's counters (4096 atomic
// sums over the workers), so it costs tens of microseconds.
func (m *Model) Totals() api.Stats {
	raw := m.totalCounts()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.tot.stats(raw)
	m.tot.est.read(&out)
	return out
}
