package model_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

func TestNewPublishesEmptySnapshot(t *testing.T) {
	h := newHarness(t)
	if h.published() != 1 {
		t.Fatalf("New published %d snapshots, want 1", h.published())
	}
	s := h.last()
	a := netip.MustParseAddr("198.18.0.1").As16()
	if s.Lookup(6, &a, 80) != nil || len(s.Services) != 0 || len(s.Dests) != 0 {
		t.Errorf("first snapshot is not empty: %+v", s)
	}
	if tcp, fin, udp := s.Timeouts.Get(); tcp != 900 || fin != 120 || udp != 300 {
		t.Errorf("snapshot timeouts %d %d %d, want 900 120 300", tcp, fin, udp)
	}
	// Queries publish nothing.
	h.ok(&api.Request{Op: api.OpListService})
	h.ok(&api.Request{Op: api.OpGetInfo})
	h.ok(&api.Request{Op: api.OpGetTimeouts})
	if h.published() != 1 {
		t.Errorf("queries published %d snapshots", h.published()-1)
	}
}

func TestSnapshotServices(t *testing.T) {
	h := newHarness(t)
	web, all, dns, v6 := tcp("198.18.0.1", 80), tcp("198.18.0.1", 0), udp("198.18.0.1", 53), tcp("2001:db8::1", 443)
	h.ok(&api.Request{Op: api.OpAddService, Service: &api.Service{Key: web, Scheduler: "wrr", Flags: api.SvcSched1 | api.SvcHashed}})
	h.ok(svcReq(api.OpAddService, all, "rr"))
	h.ok(svcReq(api.OpAddService, dns, ""))
	h.ok(svcReq(api.OpAddService, v6, "mh"))
	gen := h.last().Gen
	h.ok(destReq(api.OpAddDest, web, dr("198.18.1.1", 80, 2)))
	s := h.last()
	if s.Gen <= gen {
		t.Errorf("generation did not increase: %d then %d", gen, s.Gen)
	}

	a := netip.MustParseAddr("198.18.0.1").As16()
	lookups := []struct {
		proto uint8
		port  uint16
		want  api.ServiceKey
	}{
		{6, 80, web}, {6, 22, all}, {6, 0, all}, {17, 53, dns},
	}
	ids := map[uint32]bool{}
	for _, l := range lookups {
		got := s.Lookup(l.proto, &a, l.port)
		if got == nil || got.Port != l.want.Port || got.Proto != uint8(l.want.Protocol) || got.Addr != a || got.Family != 4 {
			t.Errorf("Lookup(%d, 198.18.0.1, %d) = %+v, want %v", l.proto, l.port, got, l.want)
			continue
		}
		ids[got.ID] = true
	}
	if s.Lookup(17, &a, 54) != nil {
		t.Error("a UDP packet found a service on another port")
	}
	s6 := snapService(t, s, v6)
	if s6.Family != 6 || s6.Sched != "mh" || ids[s6.ID] {
		t.Errorf("IPv6 service %+v (family 6, mh, own slot wanted)", s6)
	}
	if len(ids) != 3 {
		t.Errorf("services share slots: %v", ids)
	}
	if ws := snapService(t, s, web); ws.Sched != "wrr" || ws.SchedFlags != api.SvcSched1 {
		t.Errorf("web service sched %q flags %#x, want wrr and only the scheduler flag", ws.Sched, ws.SchedFlags)
	}
	if ds := snapService(t, s, dns); ds.Sched != "wlc" {
		t.Errorf("default scheduler in the snapshot %q, want wlc", ds.Sched)
	}
	for _, id := range []uint32{s6.ID} {
		if int(id) >= snapshot.MaxServices || s.Services[id].ID != id {
			t.Errorf("service slot %d not indexed by its ID", id)
		}
	}

	slot := destSlot(t, s, web, "198.18.1.1", 80)
	d := s.Dests[slot]
	want := snapshot.Dest{ID: slot, Service: snapService(t, s, web).ID, Addr: netip.MustParseAddr("198.18.1.1").As16(), Port: 80,
		Method: snapshot.MethodRoute, Weight: 2, Available: true, LastWeight: 2}
	if d != want {
		t.Errorf("snapshot dest %+v\nwant %+v", d, want)
	}
}

func TestDestSlotsStable(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	addrs := []string{"198.18.1.1", "198.18.1.2", "198.18.1.3"}
	for _, a := range addrs {
		h.ok(destReq(api.OpAddDest, k, dr(a, 80, 1)))
	}
	slots := map[string]uint32{}
	seen := map[uint32]bool{}
	for _, a := range addrs {
		slots[a] = destSlot(t, h.last(), k, a, 80)
		if seen[slots[a]] {
			t.Fatalf("two destinations share slot %d", slots[a])
		}
		seen[slots[a]] = true
	}
	// Edits of a destination, of another destination, of the service,
	// and other services coming and going keep every slot.
	h.ok(destReq(api.OpEditDest, k, dr("198.18.1.2", 80, 9)))
	h.ok(svcReq(api.OpEditService, k, "wlc"))
	h.ok(svcReq(api.OpAddService, tcp("198.18.0.2", 80), "rr"))
	h.ok(destReq(api.OpAddDest, tcp("198.18.0.2", 80), dr("198.18.1.1", 80, 1)))
	h.ok(svcReq(api.OpDelService, tcp("198.18.0.2", 80), ""))
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 1)))
	for _, a := range addrs[1:] {
		if got := destSlot(t, h.last(), k, a, 80); got != slots[a] {
			t.Errorf("%s moved from slot %d to %d", a, slots[a], got)
		}
	}
	if w := h.last().Dests[slots["198.18.1.2"]].Weight; w != 9 {
		t.Errorf("edited weight %d in the snapshot, want 9", w)
	}
}

func TestNextHops(t *testing.T) {
	h := newHarness(t)
	k4, k6 := tcp("198.18.0.1", 80), tcp("2001:db8::1", 80)
	mac := func(b byte) [6]byte { return [6]byte{0x02, 0xaa, 0, 0, 0, b} }
	// testLinks serve ifindex 5 (link 0) and 7 (link 1).
	h.nh.set("198.18.1.1", netinfo.NextHop{IfIndex: 7, SrcMAC: mac(7), DstMAC: mac(1), MTU: 1500, Resolved: true, Up: true})
	h.nh.set("198.18.1.2", netinfo.NextHop{IfIndex: 5, SrcMAC: mac(5), DstMAC: mac(2), MTU: 9000, Resolved: false, Up: true})
	h.nh.set("198.18.1.3", netinfo.NextHop{IfIndex: 5, SrcMAC: mac(5), DstMAC: mac(3), MTU: 1500, Resolved: true, Up: false})
	h.nh.set("198.18.1.4", netinfo.NextHop{IfIndex: 9, SrcMAC: mac(9), DstMAC: mac(4), MTU: 1500, Resolved: true, Up: true})
	// 198.18.1.5: the resolver knows nothing.
	h.nh.set("2001:db8:1::1", netinfo.NextHop{IfIndex: 5, SrcMAC: mac(5), DstMAC: mac(6), MTU: 100000, Resolved: true, Up: true})

	h.ok(svcReq(api.OpAddService, k4, "rr"))
	h.ok(svcReq(api.OpAddService, k6, "rr"))
	for i := 1; i <= 5; i++ {
		h.ok(destReq(api.OpAddDest, k4, dr("198.18.1."+string(rune('0'+i)), 80, 1)))
	}
	h.ok(destReq(api.OpAddDest, k6, dr("2001:db8:1::1", 80, 1)))

	wantWatch := []netip.Addr{}
	for _, a := range []string{"198.18.1.1", "198.18.1.2", "198.18.1.3", "198.18.1.4", "198.18.1.5", "2001:db8:1::1"} {
		wantWatch = append(wantWatch, netip.MustParseAddr(a))
	}
	if got := h.nh.lastWatch(); !slices.Equal(got, wantWatch) {
		t.Errorf("watched %v, want %v", got, wantWatch)
	}

	s := h.last()
	nhOf := func(k api.ServiceKey, a string) snapshot.NextHop { return s.Dests[destSlot(t, s, k, a, 80)].NextHop }
	if got, want := nhOf(k4, "198.18.1.1"), (snapshot.NextHop{Valid: true, Link: 1, SrcMAC: mac(7), DstMAC: mac(1), MTU: 1500}); got != want {
		t.Errorf("resolved next hop on link 1: %+v, want %+v", got, want)
	}
	for _, a := range []string{"198.18.1.2", "198.18.1.3", "198.18.1.4", "198.18.1.5"} {
		if got := nhOf(k4, a); got != (snapshot.NextHop{}) {
			t.Errorf("%s (unresolved, down, unserved link or unknown): next hop %+v, want none", a, got)
		}
	}
	if got, want := nhOf(k6, "2001:db8:1::1"), (snapshot.NextHop{Valid: true, Link: 0, SrcMAC: mac(5), DstMAC: mac(6), MTU: 65535}); got != want {
		t.Errorf("IPv6 next hop on link 0 with a huge MTU: %+v, want %+v", got, want)
	}

	// The neighbour resolves: Refresh publishes it.
	h.nh.set("198.18.1.2", netinfo.NextHop{IfIndex: 5, SrcMAC: mac(5), DstMAC: mac(2), MTU: 9000, Resolved: true, Up: true})
	n := h.published()
	h.m.Refresh()
	if h.published() != n+1 {
		t.Fatalf("Refresh published %d snapshots, want 1", h.published()-n)
	}
	s = h.last()
	if got, want := nhOf(k4, "198.18.1.2"), (snapshot.NextHop{Valid: true, Link: 0, SrcMAC: mac(5), DstMAC: mac(2), MTU: 9000}); got != want {
		t.Errorf("after Refresh: %+v, want %+v", got, want)
	}

	// A deleted real server is no longer watched.
	h.ok(destReq(api.OpDelDest, k4, dr("198.18.1.3", 80, 1)))
	if got := h.nh.lastWatch(); slices.Contains(got, netip.MustParseAddr("198.18.1.3")) || len(got) != 5 {
		t.Errorf("after delete watched %v", got)
	}
}

func TestNoResolverNoStats(t *testing.T) {
	var last *snapshot.Snapshot
	m := model.New(model.Config{Publish: func(s *snapshot.Snapshot) { last = s }})
	k := tcp("198.18.0.1", 80)
	for _, r := range []*api.Request{svcReq(api.OpAddService, k, "rr"), destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1))} {
		if resp := m.Do(r); resp.Err != nil {
			t.Fatalf("%s: %v", r.Op, resp.Err)
		}
	}
	slot := destSlot(t, last, k, "198.18.1.1", 80)
	if nh := last.Dests[slot].NextHop; nh.Valid {
		t.Errorf("next hop valid without a resolver: %+v", nh)
	}
	// Without counters nothing holds a deleted destination.
	m.Do(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 1)))
	if int(slot) < len(last.Dests) && last.Dests[slot].Addr != ([16]byte{}) {
		t.Errorf("deleted destination kept without counters: %+v", last.Dests[slot])
	}
	if c := m.Do(&api.Request{Op: api.OpGetCounters}); c.Err != nil || c.Counters == nil || len(c.Counters) != 0 {
		t.Errorf("get-counters without a source: %+v", c)
	}
}

func TestCountersAndStats(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	s1 := destSlot(t, h.last(), k, "198.18.1.1", 80)
	s2 := destSlot(t, h.last(), k, "198.18.1.2", 80)
	h.st.SetDest(s1, engine.DestStats{ActiveConns: 3, InactConns: 4, Conns: 10, InPkts: 100, InBytes: 1000, OutPkts: 90, OutBytes: 9000})
	h.st.SetDest(s2, engine.DestStats{ActiveConns: 1, Conns: 5, InPkts: 50, InBytes: 500})
	h.st.SetService(snapService(t, h.last(), k).ID, engine.ServiceStats{Conns: 15, InPkts: 150, OutPkts: 90, InBytes: 1500, OutBytes: 9000})

	svc := h.ok(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: k}}).Services[0]
	d2, d1 := svc.Dests[0], svc.Dests[1]
	if d1.ActiveConns != 3 || d1.InactConns != 4 || d1.Stats != (api.Stats{Conns: 10, InPkts: 100, OutPkts: 90, InBytes: 1000, OutBytes: 9000}) {
		t.Errorf("198.18.1.1 counters %+v", d1)
	}
	if d2.ActiveConns != 1 || d2.InactConns != 0 || d2.Stats != (api.Stats{Conns: 5, InPkts: 50, InBytes: 500}) {
		t.Errorf("198.18.1.2 counters %+v", d2)
	}
	if svc.Stats != (api.Stats{Conns: 15, InPkts: 150, OutPkts: 90, InBytes: 1500, OutBytes: 9000}) {
		t.Errorf("service counters %+v, want the dataplane's", svc.Stats)
	}

	m := model.New(model.Config{Counters: func() map[string]uint64 { return map[string]uint64{"rx": 7} }})
	if c := m.Do(&api.Request{Op: api.OpGetCounters}); c.Err != nil || c.Counters["rx"] != 7 {
		t.Errorf("get-counters: %+v", c)
	}
}
