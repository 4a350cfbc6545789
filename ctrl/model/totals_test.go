package model_test

import (
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// TestTotalsAsProcIPVSStats: the director's totals count everything since
// start, as /proc/net/ip_vs_stats does: deleting real servers and services
// and -Z of one service leave them alone; only -Z of everything zeroes
// them (ip_vs_zero_all).
func TestTotalsAsProcIPVSStats(t *testing.T) {
	h, k, _, d1, d2 := statsHarness(t)
	k2 := udp("198.18.0.1", 53)
	h.ok(svcReq(api.OpAddService, k2, "rr"))
	h.ok(destReq(api.OpAddDest, k2, dr("198.18.1.3", 53, 1)))
	d3 := destSlot(t, h.last(), k2, "198.18.1.3", 53)
	if got := h.m.Totals(); got != (api.Stats{}) {
		t.Fatalf("totals before any traffic: %+v", got)
	}
	h.st.Add(d1, engine.DestStats{Conns: 10, InPkts: 100, InBytes: 6000})
	h.st.Add(d2, engine.DestStats{Conns: 5, InPkts: 50, InBytes: 3000})
	h.st.Add(d3, engine.DestStats{Conns: 2, InPkts: 2, InBytes: 120, OutPkts: 1, OutBytes: 60})
	all := api.Stats{Conns: 17, InPkts: 152, InBytes: 9120, OutPkts: 1, OutBytes: 60}
	if got := h.m.Totals(); got != all {
		t.Fatalf("totals %+v, want %+v", got, all)
	}

	h.ok(&api.Request{Op: api.OpZero, Service: &api.Service{Key: k}})
	if s := h.service(k); s.Stats != (api.Stats{}) {
		t.Errorf("-Z of the service: it lists %+v, want zeros", s.Stats)
	}
	if got := h.m.Totals(); got != all {
		t.Errorf("totals after -Z of one service: %+v, want %+v (ip_vs_zero_service leaves tot_stats)", got, all)
	}
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.2", 80, 0)))
	h.ok(&api.Request{Op: api.OpDelService, Service: &api.Service{Key: k2}})
	h.m.Refresh()
	if got := h.m.Totals(); got != all {
		t.Errorf("totals after deleting a real server and a service: %+v, want %+v", got, all)
	}
	// A new service on the freed slot starts from zero; the totals keep
	// what the old one counted.
	k3 := tcp("198.18.0.3", 443)
	h.ok(svcReq(api.OpAddService, k3, "rr"))
	h.ok(destReq(api.OpAddDest, k3, dr("198.18.1.4", 443, 1)))
	d4 := destSlot(t, h.last(), k3, "198.18.1.4", 443)
	h.st.Add(d4, engine.DestStats{Conns: 1, InPkts: 3, InBytes: 180})
	if s := h.service(k3); s.Stats != (api.Stats{Conns: 1, InPkts: 3, InBytes: 180}) {
		t.Errorf("new service lists %+v", s.Stats)
	}
	all = api.Stats{Conns: 18, InPkts: 155, InBytes: 9300, OutPkts: 1, OutBytes: 60}
	if got := h.m.Totals(); got != all {
		t.Errorf("totals after the new service's traffic: %+v, want %+v", got, all)
	}

	h.ok(&api.Request{Op: api.OpZero})
	if got := h.m.Totals(); got != (api.Stats{}) {
		t.Errorf("totals after -Z of everything: %+v, want zeros (ip_vs_zero_all)", got)
	}
	h.st.Add(d1, engine.DestStats{Conns: 1, InPkts: 1, InBytes: 60})
	if got := h.m.Totals(); got != (api.Stats{Conns: 1, InPkts: 1, InBytes: 60}) {
		t.Errorf("totals counting again after -Z: %+v", got)
	}
}

// TestTotalsRates: the totals have their own estimator, which -Z of
// everything restarts.
func TestTotalsRates(t *testing.T) {
	h, k, _, d1, d2 := statsHarness(t)
	for range 60 { // long enough to converge to the steady rate
		h.st.Add(d1, engine.DestStats{Conns: 200, InPkts: 2000, InBytes: 100000})
		h.st.Add(d2, engine.DestStats{Conns: 200, InPkts: 2000, InBytes: 100000})
		h.m.Estimate()
	}
	// 400 connections, 4000 packets, 200000 bytes every 2 s.
	got := h.m.Totals()
	if got.CPS != 200 || got.InPPS != 2000 || got.InBPS != 100000 || got.OutPPS != 0 {
		t.Errorf("total rates %+v, want 200 conn/s, 2000 pkt/s, 100000 B/s", got)
	}
	if s := h.service(k).Stats; s.CPS != got.CPS || s.InPPS != got.InPPS || s.InBPS != got.InBPS {
		t.Errorf("the only service's rates %+v differ from the totals' %+v", s, got)
	}
	h.ok(&api.Request{Op: api.OpZero})
	if got := h.m.Totals(); got != (api.Stats{}) {
		t.Errorf("after -Z: %+v, want counters and rates zero", got)
	}
}
