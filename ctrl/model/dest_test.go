package model_test

import (
	"math"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

func TestDestRefusals(t *testing.T) {
	h := newHarness(t)
	k4, k6 := tcp("198.18.0.1", 80), tcp("2001:db8::1", 80)
	h.ok(svcReq(api.OpAddService, k4, "rr"))
	h.ok(svcReq(api.OpAddService, k6, "rr"))
	h.ok(destReq(api.OpAddDest, k4, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k6, dr("2001:db8:1::1", 80, 1)))

	with := func(op api.Op, k api.ServiceKey, d *api.Dest, f func(*api.Dest)) *api.Request {
		f(d)
		return destReq(op, k, d)
	}
	missing := tcp("198.18.0.1", 81)
	cases := []struct {
		name string
		req  *api.Request
		code api.Code
		msg  string
	}{
		{"add to a missing service", destReq(api.OpAddDest, missing, dr("198.18.1.1", 81, 1)), api.CodeNoService, "Service not defined"},
		{"edit in a missing service", destReq(api.OpEditDest, missing, dr("198.18.1.1", 81, 1)), api.CodeNoService, "Service not defined"},
		{"delete from a missing service", destReq(api.OpDelDest, missing, dr("198.18.1.1", 81, 1)), api.CodeNoService, "Service not defined"},
		{"add a duplicate", destReq(api.OpAddDest, k4, dr("198.18.1.1", 80, 5)), api.CodeExists, "Destination already exists"},
		{"add a duplicate as IPv4-mapped", destReq(api.OpAddDest, k4, dr("::ffff:198.18.1.1", 80, 5)), api.CodeExists, "Destination already exists"},
		{"edit a missing destination", destReq(api.OpEditDest, k4, dr("198.18.1.2", 80, 1)), api.CodeNotFound, "No such destination"},
		{"edit another port", destReq(api.OpEditDest, k4, dr("198.18.1.1", 8080, 1)), api.CodeNotFound, "No such destination"},
		{"delete a missing destination", destReq(api.OpDelDest, k4, dr("198.18.1.2", 80, 1)), api.CodeNotFound, "No such destination"},
		{"negative weight", destReq(api.OpAddDest, k4, dr("198.18.1.2", 80, -1)), api.CodeRange, "Numerical result out of range"},
		{"negative weight on edit", destReq(api.OpEditDest, k4, dr("198.18.1.1", 80, -5)), api.CodeRange, "Numerical result out of range"},
		{"l_threshold above u_threshold", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.UThreshold, d.LThreshold = 10, 20 }), api.CodeRange, "Numerical result out of range"},
		// ip_vs_add_dest compares the two without exception for 0.
		{"l_threshold without u_threshold", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.LThreshold = 10 }), api.CodeRange, "Numerical result out of range"},
		{"l_threshold above u_threshold on edit", with(api.OpEditDest, k4, dr("198.18.1.1", 80, 1), func(d *api.Dest) { d.UThreshold, d.LThreshold = 1, 2 }), api.CodeRange, "Numerical result out of range"},
		{"u_threshold above INT_MAX", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.UThreshold = math.MaxInt32 + 1 }), api.CodeInvalid, msgInvalid},
		{"unspecified address", destReq(api.OpAddDest, k4, dr("0.0.0.0", 80, 1)), api.CodeInvalid, msgInvalid},
		{"multicast address", destReq(api.OpAddDest, k4, dr("239.1.1.1", 80, 1)), api.CodeInvalid, msgInvalid},
		{"IPv6 multicast address", destReq(api.OpAddDest, k6, dr("ff05::2", 80, 1)), api.CodeInvalid, msgInvalid},
		{"no address", destReq(api.OpAddDest, k4, &api.Dest{Port: 80, Weight: 1, Method: api.MethodRoute}), api.CodeInvalid, msgInvalid},
		{"IPv6 real server of an IPv4 service", destReq(api.OpAddDest, k4, dr("2001:db8:1::2", 80, 1)), api.CodeInvalid, msgInvalid},
		{"IPv4 real server of an IPv6 service", destReq(api.OpAddDest, k6, dr("198.18.1.2", 80, 1)), api.CodeInvalid, msgInvalid},
		{"unknown method", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.Method = 42 }), api.CodeInvalid, msgInvalid},
		{"missing destination", &api.Request{Op: api.OpAddDest, Service: &api.Service{Key: k4}}, api.CodeInvalid, ""},
		{"missing service", &api.Request{Op: api.OpAddDest, Dest: dr("198.18.1.2", 80, 1)}, api.CodeInvalid, ""},
		{"delete without destination", &api.Request{Op: api.OpDelDest, Service: &api.Service{Key: k4}}, api.CodeInvalid, ""},
		// Known to ipvsadm, not done by xlvs: refused whole.
		// ip_vs_ctl.c: GUE without a port, an unknown tunnel type: EINVAL.
		{"GUE without port", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.Method, d.TunType = api.MethodTunnel, api.TunGUE }), api.CodeInvalid, msgInvalid},
		{"unknown tunnel type", with(api.OpAddDest, k4, dr("198.18.1.2", 80, 1), func(d *api.Dest) { d.Method, d.TunType = api.MethodTunnel, 7 }), api.CodeInvalid, msgInvalid},
		{"NAT across families", with(api.OpAddDest, k4, dr("2001:db8:1::2", 80, 1), func(d *api.Dest) { d.Method = api.MethodMasq }), api.CodeInvalid, msgInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.refused(c.req, c.code, c.msg)
		})
	}
}

func TestDestsListedNewestFirst(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "wrr"))
	for i, a := range []string{"198.18.1.3", "198.18.1.1", "198.18.1.2"} {
		h.ok(destReq(api.OpAddDest, k, dr(a, 80, int32(i))))
	}
	h.ok(destReq(api.OpAddDest, k, dr("::ffff:198.18.1.4", 8080, 0)))
	wantAddrs := []string{"198.18.1.4", "198.18.1.2", "198.18.1.1", "198.18.1.3"}
	wantW := []int32{0, 2, 1, 0}
	check := func(what string, ds []api.Dest, addrs []string, ws []int32) {
		t.Helper()
		if len(ds) != len(addrs) {
			t.Fatalf("%s: %d real servers listed, want %d: %+v", what, len(ds), len(addrs), ds)
		}
		for i := range addrs {
			if ds[i].Addr != netip.MustParseAddr(addrs[i]) || ds[i].Weight != ws[i] || ds[i].Method != api.MethodRoute {
				t.Errorf("%s: real server %d is %v w%d m%d, want %s w%d Route", what, i, ds[i].Addr, ds[i].Weight, ds[i].Method, addrs[i], ws[i])
			}
		}
	}
	s, _ := find(h.list(), k)
	check("list", s.Dests, wantAddrs, wantW)
	if s.Dests[0].Port != 8080 {
		t.Errorf("real server port %d, want 8080 (the model does not force DR ports; ipvsadm does)", s.Dests[0].Port)
	}

	// The snapshot keeps the same order (schedulers break ties on it).
	snap := h.last()
	ss := snapService(t, snap, k)
	for i, id := range ss.Dests {
		if got := netip.AddrFrom16(snap.Dests[id].Addr).Unmap(); got.String() != wantAddrs[i] {
			t.Errorf("snapshot dest %d is %v, want %s", i, got, wantAddrs[i])
		}
	}

	// Deleting one and adding it again makes it the newest.
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 0)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 7)))
	s, _ = find(h.list(), k)
	check("after delete and re-add", s.Dests, []string{"198.18.1.1", "198.18.1.4", "198.18.1.2", "198.18.1.3"}, []int32{7, 0, 2, 0})
}

func TestEditDestReplaces(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "wlc"))
	d := dr("198.18.1.1", 80, 50)
	d.UThreshold, d.LThreshold = 100, 10
	h.ok(destReq(api.OpAddDest, k, d))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	slot := destSlot(t, h.last(), k, "198.18.1.1", 80)
	if sd := h.last().Dests[slot]; sd.Weight != 50 || sd.UThreshold != 100 || sd.LThreshold != 10 || !sd.Available {
		t.Fatalf("snapshot dest before edit: %+v", sd)
	}

	// -e without -w/-x/-y: weight as sent, thresholds back to 0.
	h.ok(destReq(api.OpEditDest, k, dr("198.18.1.1", 80, 1)))
	s, _ := find(h.list(), k)
	got := s.Dests[1]
	if got.Addr != netip.MustParseAddr("198.18.1.1") || got.Weight != 1 || got.UThreshold != 0 || got.LThreshold != 0 {
		t.Errorf("after edit: %+v, want weight 1, thresholds 0", got)
	}
	if s.Dests[0].Addr != netip.MustParseAddr("198.18.1.2") {
		t.Errorf("edit moved the real server in the list: %+v", s.Dests)
	}
	if now := destSlot(t, h.last(), k, "198.18.1.1", 80); now != slot {
		t.Errorf("edit moved the destination from slot %d to %d", slot, now)
	}
	if sd := h.last().Dests[slot]; sd.Weight != 1 || sd.UThreshold != 0 || sd.LThreshold != 0 {
		t.Errorf("snapshot dest after edit: %+v", sd)
	}
	h.ok(destReq(api.OpEditDest, k, dr("198.18.1.1", 80, 0)))
	if sd := h.last().Dests[slot]; sd.Weight != 0 || !sd.Available {
		t.Errorf("weight 0 (quiesced) in the snapshot: %+v", sd)
	}
}

func TestDeleteDest(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	// Deleting by the IPv4-mapped form deletes the IPv4 server.
	h.ok(destReq(api.OpDelDest, k, &api.Dest{Addr: netip.MustParseAddr("::ffff:198.18.1.1"), Port: 80}))
	s, _ := find(h.list(), k)
	if len(s.Dests) != 1 || s.Dests[0].Addr != netip.MustParseAddr("198.18.1.2") {
		t.Errorf("after delete: %+v", s.Dests)
	}
	if ss := snapService(t, h.last(), k); len(ss.Dests) != 1 {
		t.Errorf("snapshot service still has %d destinations", len(ss.Dests))
	}
	h.refused(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 1)), api.CodeNotFound, "No such destination")
}

func TestNATAndTunnelDestsCompiled(t *testing.T) {
	h := newHarness(t)
	k4 := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k4, "rr"))
	up := func(src string) netinfo.NextHop {
		nh := netinfo.NextHop{IfIndex: 7, SrcMAC: [6]byte{2, 0, 0, 0, 0, 7}, DstMAC: [6]byte{2, 0, 0, 0, 0, 1}, MTU: 1500, Resolved: true, Up: true}
		if src != "" {
			nh.Src = netip.MustParseAddr(src)
		}
		return nh
	}
	h.nh.set("198.18.1.2", up("198.18.1.254"))
	h.nh.set("2001:db8:1::3", up(""))
	h.ok(destReq(api.OpAddDest, k4, &api.Dest{Addr: netip.MustParseAddr("198.18.1.1"), Port: 8080, Weight: 1, Method: api.MethodMasq}))
	h.ok(destReq(api.OpAddDest, k4, &api.Dest{Addr: netip.MustParseAddr("198.18.1.2"), Port: 80, Weight: 1, Method: api.MethodTunnel,
		TunType: api.TunGUE, TunPort: 6080, TunFlags: 1}))
	// A tunnel may cross families (ip_vs_ctl.c allows it for tunnels only).
	h.ok(destReq(api.OpAddDest, k4, &api.Dest{Addr: netip.MustParseAddr("2001:db8:1::3"), Port: 80, Weight: 1, Method: api.MethodTunnel}))
	h.ok(destReq(api.OpAddDest, k4, &api.Dest{Addr: netip.MustParseAddr("198.18.1.4"), Port: 80, Weight: 1, Method: api.MethodTunnel,
		TunType: api.TunGRE, TunFlags: 1}))
	s := h.last()
	if gre := &s.Dests[destSlot(t, s, k4, "198.18.1.4", 80)]; gre.Method != snapshot.MethodTunnel || gre.TunType != snapshot.TunGRE ||
		gre.TunPort != 0 || gre.TunFlags != snapshot.TunFlagCsum {
		t.Errorf("GRE real server compiled as %+v", gre)
	}
	nat := &s.Dests[destSlot(t, s, k4, "198.18.1.1", 8080)]
	gue := &s.Dests[destSlot(t, s, k4, "198.18.1.2", 80)]
	ipip := &s.Dests[destSlot(t, s, k4, "2001:db8:1::3", 80)]
	if nat.Method != snapshot.MethodMasq || nat.Port != 8080 {
		t.Errorf("NAT real server compiled as %+v", nat)
	}
	if gue.Method != snapshot.MethodTunnel || gue.TunType != snapshot.TunGUE || gue.TunPort != 6080 || gue.TunFlags != snapshot.TunFlagCsum {
		t.Errorf("GUE real server compiled as %+v", gue)
	}
	if ipip.Method != snapshot.MethodTunnel || ipip.TunType != snapshot.TunIPIP {
		t.Errorf("IPIP real server compiled as %+v", ipip)
	}
	// The outer source of a tunnel is the director's address on the
	// egress link; without one the real server has no usable next hop.
	if !gue.NextHop.Valid || gue.NextHop.Src != netip.MustParseAddr("198.18.1.254").As16() {
		t.Errorf("GUE next hop %+v, want valid with source 198.18.1.254", gue.NextHop)
	}
	if ipip.NextHop.Valid {
		t.Errorf("tunnel without a source address got a next hop %+v", ipip.NextHop)
	}
	a := netip.MustParseAddr("198.18.1.1").As16()
	if d := s.LookupNATDest(6, &a, 8080); d == nil || d.ID != nat.ID {
		t.Errorf("the NAT real server is not found for its replies")
	}
	listed := h.list()[0].Dests
	if len(listed) != 4 || listed[0].TunType != api.TunGRE || listed[0].TunFlags != 1 || listed[2].TunType != api.TunGUE || listed[2].TunPort != 6080 || listed[2].TunFlags != 1 {
		t.Errorf("listing %+v", listed)
	}
}
