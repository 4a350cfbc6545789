package model_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// statsHarness is a service 198.18.0.1:80 with two real servers.
func statsHarness(t *testing.T) (h *harness, k api.ServiceKey, svc, d1, d2 uint32) {
	h = newHarness(t)
	k = tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	return h, k, snapService(t, h.last(), k).ID, destSlot(t, h.last(), k, "198.18.1.1", 80), destSlot(t, h.last(), k, "198.18.1.2", 80)
}

func (h *harness) service(k api.ServiceKey) api.Service {
	h.t.Helper()
	return h.ok(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: k}}).Services[0]
}

func TestServiceTotalsSurviveDeletedServers(t *testing.T) {
	h, k, svc, d1, d2 := statsHarness(t)
	h.st.SetDest(d1, engine.DestStats{Conns: 10, InPkts: 100, InBytes: 1000})
	h.st.SetDest(d2, engine.DestStats{Conns: 5, InPkts: 50, InBytes: 500})
	h.st.SetService(svc, engine.ServiceStats{Conns: 15, InPkts: 150, InBytes: 1500})
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.2", 80, 0)))
	if got := h.service(k).Stats; got != (api.Stats{Conns: 15, InPkts: 150, InBytes: 1500}) {
		t.Errorf("service after deleting a real server: %+v, want its totals unchanged", got)
	}
}

func TestReusedSlotsStartFromZero(t *testing.T) {
	h, k, svc, d1, _ := statsHarness(t)
	h.st.SetDest(d1, engine.DestStats{Conns: 10, InPkts: 100, InBytes: 1000})
	h.st.SetService(svc, engine.ServiceStats{Conns: 15, InPkts: 150, InBytes: 1500})
	h.ok(&api.Request{Op: api.OpDelService, Service: &api.Service{Key: k}})
	h.m.Refresh() // the real servers have no connections: slots reclaimed
	k2 := tcp("198.18.0.2", 80)
	h.ok(svcReq(api.OpAddService, k2, "rr"))
	h.ok(destReq(api.OpAddDest, k2, dr("198.18.1.1", 80, 1)))
	if s := snapService(t, h.last(), k2).ID; s != svc {
		t.Fatalf("new service got slot %d, want the freed %d", s, svc)
	}
	got := h.service(k2)
	if got.Stats != (api.Stats{}) || got.Dests[0].Stats != (api.Stats{}) {
		t.Errorf("new service on a reused slot lists %+v / %+v, want zeros", got.Stats, got.Dests[0].Stats)
	}
	h.st.SetService(svc, engine.ServiceStats{Conns: 16, InPkts: 151, InBytes: 1600})
	if got := h.service(k2).Stats; got != (api.Stats{Conns: 1, InPkts: 1, InBytes: 100}) {
		t.Errorf("after one more connection: %+v", got)
	}
}

func TestTrashedServerKeepsItsCounters(t *testing.T) {
	h, k, _, d1, _ := statsHarness(t)
	h.st.SetDest(d1, engine.DestStats{ActiveConns: 1, Conns: 10, InPkts: 100})
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 0)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	for _, d := range h.service(k).Dests {
		if d.Addr == netip.MustParseAddr("198.18.1.1") && d.Stats != (api.Stats{Conns: 10, InPkts: 100}) {
			t.Errorf("real server back from the trash lists %+v, want its counters", d.Stats)
		}
	}
}

func TestZero(t *testing.T) {
	h, k, svc, d1, d2 := statsHarness(t)
	k2 := udp("198.18.0.1", 53)
	h.ok(svcReq(api.OpAddService, k2, "rr"))
	h.ok(destReq(api.OpAddDest, k2, dr("198.18.1.3", 53, 1)))
	svc2, d3 := snapService(t, h.last(), k2).ID, destSlot(t, h.last(), k2, "198.18.1.3", 53)
	h.st.SetDest(d1, engine.DestStats{ActiveConns: 2, InactConns: 1, Conns: 10, InPkts: 100, InBytes: 1000})
	h.st.SetDest(d2, engine.DestStats{Conns: 5, InPkts: 50, InBytes: 500})
	h.st.SetService(svc, engine.ServiceStats{Conns: 15, InPkts: 150, InBytes: 1500})
	h.st.SetDest(d3, engine.DestStats{Conns: 1, InPkts: 1, InBytes: 60})
	h.st.SetService(svc2, engine.ServiceStats{Conns: 1, InPkts: 1, InBytes: 60})

	h.refused(&api.Request{Op: api.OpZero, Service: &api.Service{Key: tcp("198.18.0.9", 80)}}, api.CodeNoService, "No such service")
	h.ok(&api.Request{Op: api.OpZero, Service: &api.Service{Key: k}})
	s := h.service(k)
	if s.Stats != (api.Stats{}) || s.Dests[0].Stats != (api.Stats{}) || s.Dests[1].Stats != (api.Stats{}) {
		t.Errorf("-Z service: %+v %+v %+v, want zeros", s.Stats, s.Dests[0].Stats, s.Dests[1].Stats)
	}
	if d := s.Dests[1]; d.ActiveConns != 2 || d.InactConns != 1 {
		t.Errorf("-Z changed the connection counts: %d/%d", d.ActiveConns, d.InactConns)
	}
	if s2 := h.service(k2); s2.Stats.InBytes != 60 || s2.Dests[0].Stats.InBytes != 60 {
		t.Errorf("-Z of one service zeroed another: %+v", s2.Stats)
	}
	h.st.SetService(svc, engine.ServiceStats{Conns: 17, InPkts: 160, InBytes: 1700})
	if got := h.service(k).Stats; got != (api.Stats{Conns: 2, InPkts: 10, InBytes: 200}) {
		t.Errorf("counting after -Z: %+v", got)
	}
	h.ok(&api.Request{Op: api.OpZero})
	for _, s := range h.list() {
		if s.Stats != (api.Stats{}) || s.Dests[0].Stats != (api.Stats{}) {
			t.Errorf("-Z all: %v lists %+v / %+v", s.Key, s.Stats, s.Dests[0].Stats)
		}
	}
}

// TestEstimator checks the rates against ip_vs_est.c's arithmetic worked
// by hand: 1000 connections/s and 150000 bytes/s in 2-second samples.
func TestEstimator(t *testing.T) {
	h, k, svc, _, _ := statsHarness(t)
	var c engine.ServiceStats
	tick := func() {
		c.Conns += 2000
		c.InBytes += 300000
		h.st.SetService(svc, c)
		h.m.Estimate()
	}
	tick()
	// avg = (2000<<9)>>2 = 256000 → (256000+0x1FF)>>10 = 250; bytes:
	// (300000<<4)>>2 = 1200000 → (1200000+0xF)>>5 = 37500.
	if s := h.service(k).Stats; s.CPS != 250 || s.InBPS != 37500 || s.InPPS != 0 || s.OutBPS != 0 {
		t.Errorf("after one sample: %+v, want cps 250, inbps 37500", s)
	}
	tick()
	// avg = 256000 + (1024000-256000)>>2 = 448000 → 448511>>10 = 437
	// (one short of 438: the kernel rounds at half a unit); bytes
	// 1200000 + 900000 = 2100000 → 65625.
	if s := h.service(k).Stats; s.CPS != 437 || s.InBPS != 65625 {
		t.Errorf("after two samples: %+v, want cps 437, inbps 65625", s)
	}
	for i := 0; i < 60; i++ {
		tick()
	}
	if s := h.service(k).Stats; s.CPS != 1000 || s.InBPS != 150000 {
		t.Errorf("steady state: %+v, want cps 1000, inbps 150000", s)
	}
	h.ok(&api.Request{Op: api.OpZero, Service: &api.Service{Key: k}})
	if s := h.service(k).Stats; s != (api.Stats{}) {
		t.Errorf("after -Z: %+v, want every counter and rate zero", s)
	}
	tick() // counted from the zeroing: the same first sample again
	if s := h.service(k).Stats; s.CPS != 250 || s.Conns != 2000 {
		t.Errorf("first sample after -Z: %+v, want cps 250, 2000 conns", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.m.RunEstimator(ctx); close(done) }()
	cancel()
	<-done
}

func TestSetTimeouts(t *testing.T) {
	h := newHarness(t)
	h.ok(&api.Request{Op: api.OpSetTimeouts, Timeouts: &api.Timeouts{TCP: 3600, UDP: 600}})
	if got := h.ok(&api.Request{Op: api.OpGetTimeouts}).Timeouts; *got != (api.Timeouts{TCP: 3600, TCPFin: 120, UDP: 600}) {
		t.Errorf("timeouts %+v, want 3600 120 600 (0 keeps a value)", *got)
	}
	to := h.last().Timeouts
	if to[conntrack.StateEstablished] != 3600 || to[conntrack.StateFinWait] != 120 || to[conntrack.StateUDP] != 600 || to[conntrack.StateSynRecv] != 60 {
		t.Errorf("published timeouts %v", to)
	}
	h.refused(&api.Request{Op: api.OpSetTimeouts, Timeouts: &api.Timeouts{TCPFin: 1 << 31}}, api.CodeInvalid,
		"Invalid operation.  Possibly wrong module version, address not unicast, ...")
}

func TestListConns(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	svc, d1, d2 := snapService(t, h.last(), k).ID, destSlot(t, h.last(), k, "198.18.1.1", 80), destSlot(t, h.last(), k, "198.18.1.2", 80)
	cl, vip := netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.18.0.1")
	h.st.SetConns([]engine.ConnInfo{
		{Proto: 6, Client: cl, CPort: 40000, Virtual: vip, VPort: 80, Dest: d1, Service: svc, State: conntrack.StateEstablished, Expires: 899*time.Second + 999*time.Millisecond},
		{Proto: 6, Client: cl, CPort: 40001, Virtual: vip, VPort: 80, Dest: d2, Service: svc, State: conntrack.StateFinWait, Expires: 500 * time.Millisecond},
		{Proto: 6, Client: cl, CPort: 0, Virtual: vip, VPort: 80, Dest: d1, Service: svc, State: conntrack.StateNone, Expires: 359 * time.Second, Flags: conntrack.FlagTemplate},
		{Proto: 6, Client: cl, CPort: 1, Virtual: vip, VPort: 80, Dest: 9999, Service: svc, State: conntrack.StateSynRecv, Expires: time.Second},
	})
	// A deleted real server keeps its connections: listed with its address.
	h.st.SetDest(d2, engine.DestStats{InactConns: 1})
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.2", 80, 0)))
	got := h.ok(&api.Request{Op: api.OpListConns}).Conns
	rs1, rs2 := netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.1.2")
	want := []api.Conn{
		{Protocol: 6, Client: cl, CPort: 40000, Virtual: vip, VPort: 80, Dest: rs1, DPort: 80, State: "ESTABLISHED", Expires: 899},
		{Protocol: 6, Client: cl, CPort: 40001, Virtual: vip, VPort: 80, Dest: rs2, DPort: 80, State: "FIN_WAIT", Expires: 0},
		{Protocol: 6, Client: cl, CPort: 0, Virtual: vip, VPort: 80, Dest: rs1, DPort: 80, State: "NONE", Expires: 359, Template: true},
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d connections, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("conn %d: %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestKernelLookupOrder: -e and -E look the object up before validating
// the rest, as ip_vs_ctl.c does (SPEC §1.8).
func TestKernelLookupOrder(t *testing.T) {
	h, _, _, _, _ := statsHarness(t)
	for _, c := range []struct{ args, stderr string }{
		{"-e -t 198.18.0.1:80 -r 0.0.0.0", "No such destination"},
		{"-e -t 198.18.0.1:80 -r 198.18.1.9 -m", "No such destination"},
		{"-e -t 198.18.0.1:80 -r 198.18.1.1 -x 10 -y 20", "Numerical result out of range"},
		{"-E -t 198.18.0.5:80 -p 600", "No such service"},
		{"-E -t 198.18.0.5:80 -s bogus", "No such service"},
		{"-Z -t 198.18.0.5:80", "No such service"},
	} {
		if r := ipvsadmRun(h, "", strings.Fields(c.args)...); r != (result{"", c.stderr + "\n", 255}) {
			t.Errorf("ipvsadm %s: %+v, want 255 %q", c.args, r, c.stderr)
		}
	}
}
