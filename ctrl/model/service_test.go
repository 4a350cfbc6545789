package model_test

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// msgInvalid is ipvs_strerror's text for EINVAL.
const msgInvalid = "Invalid operation.  Possibly wrong module version, address not unicast, ..."

func TestAddServiceDefaults(t *testing.T) {
	h := newHarness(t)
	h.ok(svcReq(api.OpAddService, tcp("198.18.0.1", 80), ""))
	h.ok(svcReq(api.OpAddService, udp("2001:db8::1", 53), "rr"))
	// An IPv4-mapped IPv6 address is the IPv4 service.
	h.ok(svcReq(api.OpAddService, tcp("::ffff:198.18.0.2", 443), "wrr"))

	want := []api.Service{
		{Key: tcp("198.18.0.1", 80), Scheduler: "wlc", Netmask: 0xffffffff, Dests: []api.Dest{}},
		{Key: udp("2001:db8::1", 53), Scheduler: "rr", Netmask: 128, Dests: []api.Dest{}},
		{Key: tcp("198.18.0.2", 443), Scheduler: "wrr", Netmask: 0xffffffff, Dests: []api.Dest{}},
	}
	got := h.list()
	if len(got) != len(want) {
		t.Fatalf("listed %d services, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Scheduler != w.Scheduler || g.Netmask != w.Netmask || g.Flags != 0 || g.Timeout != 0 || g.PE != "" || len(g.Dests) != 0 {
			t.Errorf("service %d: %+v, want %+v", i, g, w)
		}
	}
	if info := h.ok(&api.Request{Op: api.OpGetInfo}).Info; info == nil || *info != (api.Info{Version: 0x010201, ConnTabSize: 4096, NumServices: 3}) {
		t.Errorf("get-info: %+v, want version 0x010201, size 4096, 3 services", info)
	}
	if tm := h.ok(&api.Request{Op: api.OpGetTimeouts}).Timeouts; tm == nil || *tm != (api.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("get-timeouts: %+v, want IPVS's defaults 900 120 300", tm)
	}
}

func TestAddServiceRefusals(t *testing.T) {
	h := newHarness(t)
	h.ok(svcReq(api.OpAddService, tcp("198.18.0.1", 80), "rr"))
	h.ok(svcReq(api.OpAddService, tcp("2001:db8::1", 80), "rr"))

	withService := func(k api.ServiceKey, f func(*api.Service)) *api.Request {
		r := svcReq(api.OpAddService, k, "rr")
		f(r.Service)
		return r
	}
	cases := []struct {
		name string
		req  *api.Request
		code api.Code
		msg  string
	}{
		{"duplicate", svcReq(api.OpAddService, tcp("198.18.0.1", 80), "wlc"), api.CodeExists, "Service already exists"},
		{"duplicate as IPv4-mapped", svcReq(api.OpAddService, tcp("::ffff:198.18.0.1", 80), "wlc"), api.CodeExists, "Service already exists"},
		// ip_vs_ctl.c finds the existing service before it looks at the
		// scheduler or the flags.
		{"duplicate with a bad scheduler", svcReq(api.OpAddService, tcp("198.18.0.1", 80), "bogus"), api.CodeExists, "Service already exists"},
		{"duplicate asking for persistence", withService(tcp("198.18.0.1", 80), func(s *api.Service) { s.Flags = api.SvcPersistent; s.Timeout = 360 }), api.CodeExists, "Service already exists"},
		{"unknown scheduler", svcReq(api.OpAddService, tcp("198.18.0.1", 81), "bogus"), api.CodeNotFound, "Scheduler or persistence engine not found"},
		{"unknown persistence engine", withService(tcp("198.18.0.1", 82), func(s *api.Service) { s.PE = "ftp"; s.Flags = api.SvcPersistent }), api.CodeNotFound, "Scheduler or persistence engine not found"},
		{"unspecified address", svcReq(api.OpAddService, tcp("0.0.0.0", 80), "rr"), api.CodeInvalid, msgInvalid},
		{"unspecified IPv6 address", svcReq(api.OpAddService, tcp("::", 80), "rr"), api.CodeInvalid, msgInvalid},
		{"multicast address", svcReq(api.OpAddService, tcp("224.0.0.1", 80), "rr"), api.CodeInvalid, msgInvalid},
		{"IPv6 multicast address", svcReq(api.OpAddService, tcp("ff02::1", 80), "rr"), api.CodeInvalid, msgInvalid},
		{"no address", svcReq(api.OpAddService, api.ServiceKey{Protocol: api.ProtoTCP, Port: 80}, "rr"), api.CodeInvalid, msgInvalid},
		{"protocol ICMP", svcReq(api.OpAddService, api.ServiceKey{Protocol: 1, Addr: netip.MustParseAddr("198.18.0.1"), Port: 80}, "rr"), api.CodeInvalid, msgInvalid},
		{"protocol 0", svcReq(api.OpAddService, api.ServiceKey{Addr: netip.MustParseAddr("198.18.0.1"), Port: 80}, "rr"), api.CodeInvalid, msgInvalid},
		{"IPv6 prefix 129", withService(tcp("2001:db8::2", 80), func(s *api.Service) { s.Netmask = 129 }), api.CodeInvalid, msgInvalid},
		{"missing service", &api.Request{Op: api.OpAddService}, api.CodeInvalid, ""},
		// ip_vs_pe_getbyname compares names exactly.
		{"firewall mark with a persistence engine in capitals", withService(api.ServiceKey{FWMark: 100, Addr: netip.MustParseAddr("0.0.0.0")}, func(s *api.Service) { s.PE = "SIP" }), api.CodeNotFound, "Scheduler or persistence engine not found"},
		{"IPv6 firewall mark, prefix 0", withService(api.ServiceKey{FWMark: 100, Addr: netip.MustParseAddr("::")}, func(s *api.Service) { s.Netmask = 200 }), api.CodeInvalid, msgInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.refused(c.req, c.code, c.msg)
		})
	}
}

func TestEditServiceReplaces(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(&api.Request{Op: api.OpAddService, Service: &api.Service{Key: k, Scheduler: "rr", Flags: api.SvcSched1 | api.SvcSched3}})
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 3)))
	before := h.last()
	svcID := snapService(t, before, k).ID
	slot := destSlot(t, before, k, "198.18.1.1", 80)

	// ipvsadm -E sends every attribute; those not given are defaults.
	h.ok(svcReq(api.OpEditService, k, ""))
	s, _ := find(h.list(), k)
	if s.Scheduler != "wlc" || s.Flags != 0 || s.Netmask != 0xffffffff {
		t.Errorf("after edit with defaults: scheduler %q flags %#x netmask %#x, want wlc 0 0xffffffff", s.Scheduler, s.Flags, s.Netmask)
	}
	if len(s.Dests) != 1 || s.Dests[0].Weight != 3 {
		t.Errorf("edit-service changed the real servers: %+v", s.Dests)
	}
	snap := h.last()
	if snap == before {
		t.Fatal("edit-service published no snapshot")
	}
	ss := snapService(t, snap, k)
	if ss.ID != svcID || ss.Sched != "wlc" || ss.SchedFlags != 0 {
		t.Errorf("snapshot service after edit: id %d sched %q flags %#x, want id %d wlc 0", ss.ID, ss.Sched, ss.SchedFlags, svcID)
	}
	if len(ss.Dests) != 1 || ss.Dests[0] != slot {
		t.Errorf("snapshot service dests after edit %v, want [%d]", ss.Dests, slot)
	}

	h.ok(&api.Request{Op: api.OpEditService, Service: &api.Service{Key: k, Scheduler: "sh", Flags: api.SvcSched2}})
	if ss := snapService(t, h.last(), k); ss.Sched != "sh" || ss.SchedFlags != api.SvcSched2 {
		t.Errorf("snapshot after edit to sh with sh-port: %q %#x", ss.Sched, ss.SchedFlags)
	}
}

func TestEditServiceRefusals(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	withService := func(k api.ServiceKey, f func(*api.Service)) *api.Request {
		r := svcReq(api.OpEditService, k, "rr")
		f(r.Service)
		return r
	}
	cases := []struct {
		name string
		req  *api.Request
		code api.Code
		msg  string
	}{
		{"missing", svcReq(api.OpEditService, tcp("198.18.0.1", 81), "rr"), api.CodeNoService, "No such service"},
		{"other protocol", svcReq(api.OpEditService, udp("198.18.0.1", 80), "rr"), api.CodeNoService, "No such service"},
		// The kernel looks the service up before anything else.
		{"missing with a bad scheduler", svcReq(api.OpEditService, tcp("198.18.0.1", 81), "bogus"), api.CodeNoService, "No such service"},
		{"unknown scheduler", svcReq(api.OpEditService, k, "bogus"), api.CodeNotFound, "Scheduler or persistence engine not found"},
		{"unknown persistence engine", withService(k, func(s *api.Service) { s.PE = "sipx" }), api.CodeNotFound, "Scheduler or persistence engine not found"},
		{"missing service", &api.Request{Op: api.OpEditService}, api.CodeInvalid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.refused(c.req, c.code, c.msg)
		})
	}
}

func TestDeleteServiceAndFlush(t *testing.T) {
	h := newHarness(t)
	a, b, c := tcp("198.18.0.1", 80), udp("198.18.0.1", 53), tcp("2001:db8::1", 443)
	for _, k := range []api.ServiceKey{a, b, c} {
		h.ok(svcReq(api.OpAddService, k, "rr"))
		h.ok(destReq(api.OpAddDest, k, dr(map[bool]string{true: "2001:db8:1::1", false: "198.18.1.1"}[k.IsIPv6()], k.Port, 1)))
	}
	h.refused(svcReq(api.OpDelService, tcp("198.18.0.1", 81), ""), api.CodeNoService, "No such service")
	h.refused(&api.Request{Op: api.OpDelService}, api.CodeInvalid, "")
	h.refused(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: tcp("198.18.0.9", 80)}}, api.CodeNoService, "No such service")

	h.ok(svcReq(api.OpDelService, b, ""))
	got := h.list()
	if len(got) != 2 || got[0].Key != a || got[1].Key != c {
		t.Fatalf("after deleting %v: %+v", b, got)
	}
	addr := b.Addr.As16()
	if s := h.last().Lookup(uint8(b.Protocol), &addr, b.Port); s != nil {
		t.Errorf("deleted service still in the snapshot: %+v", s)
	}
	snapService(t, h.last(), a)
	snapService(t, h.last(), c)
	h.refused(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: b}}, api.CodeNoService, "No such service")

	h.ok(&api.Request{Op: api.OpFlush})
	if got := h.list(); len(got) != 0 {
		t.Errorf("after flush: %+v", got)
	}
	if n := h.ok(&api.Request{Op: api.OpGetInfo}).Info.NumServices; n != 0 {
		t.Errorf("after flush get-info counts %d services", n)
	}
	for _, k := range []api.ServiceKey{a, c} {
		addr := k.Addr.As16()
		if s := h.last().Lookup(uint8(k.Protocol), &addr, k.Port); s != nil {
			t.Errorf("flushed service %v still in the snapshot", k)
		}
	}
	// The keys are free again.
	h.ok(svcReq(api.OpAddService, a, "wrr"))
	if got := h.list(); len(got) != 1 || got[0].Scheduler != "wrr" {
		t.Errorf("re-added after flush: %+v", got)
	}
}

func TestServicesListedInInsertionOrder(t *testing.T) {
	h := newHarness(t)
	keys := []api.ServiceKey{
		udp("198.18.0.9", 53), tcp("2001:db8::1", 80), tcp("198.18.0.1", 443), tcp("198.18.0.1", 80), udp("198.18.0.1", 80),
	}
	for _, k := range keys {
		h.ok(svcReq(api.OpAddService, k, "rr"))
	}
	h.ok(svcReq(api.OpDelService, keys[1], ""))
	h.ok(svcReq(api.OpAddService, keys[1], "rr"))
	want := []api.ServiceKey{keys[0], keys[2], keys[3], keys[4], keys[1]}
	got := h.list()
	if len(got) != len(want) {
		t.Fatalf("listed %d services, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i] {
			t.Errorf("service %d is %v, want %v", i, got[i].Key, want[i])
		}
	}
	one := h.ok(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: keys[3]}}).Services
	if len(one) != 1 || one[0].Key != keys[3] || one[0].Scheduler != "rr" {
		t.Errorf("get-service %v: %+v", keys[3], one)
	}
}
