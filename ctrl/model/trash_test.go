package model_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// inSnapshot returns the destination at slot if the snapshot holds one
// there (a reclaimed slot is the zero Dest or beyond the table).
func inSnapshot(s *snapshot.Snapshot, slot uint32) (snapshot.Dest, bool) {
	if int(slot) >= len(s.Dests) || s.Dests[slot].Addr == ([16]byte{}) {
		return snapshot.Dest{}, false
	}
	return s.Dests[slot], true
}

func TestDeletedDestStaysWhileConnected(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.2", 80, 1)))
	a := destSlot(t, h.last(), k, "198.18.1.1", 80)
	b := destSlot(t, h.last(), k, "198.18.1.2", 80)
	svcID := snapService(t, h.last(), k).ID
	h.st.SetDest(a, engine.DestStats{ActiveConns: 2, InactConns: 1})

	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 0)))
	s := h.last()
	d, ok := inSnapshot(s, a)
	if !ok || d.Available || d.Addr != netip.MustParseAddr("198.18.1.1").As16() || d.Service != svcID {
		t.Fatalf("deleted destination with connections: in snapshot %v, %+v; want it unavailable", ok, d)
	}
	if got := snapService(t, s, k).Dests; !slices.Equal(got, []uint32{b}) {
		t.Errorf("service schedules over %v after the delete, want [%d]", got, b)
	}
	if l, _ := find(h.list(), k); len(l.Dests) != 1 || l.Dests[0].Addr != netip.MustParseAddr("198.18.1.2") {
		t.Errorf("deleted destination still listed: %+v", l.Dests)
	}

	// Connections remain: Refresh keeps it.
	h.m.Refresh()
	if d, ok := inSnapshot(h.last(), a); !ok || d.Available {
		t.Fatalf("Refresh with connections left: %v %+v", ok, d)
	}

	// Re-adding revives it in the same slot with the new settings.
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 5)))
	s = h.last()
	if got := destSlot(t, s, k, "198.18.1.1", 80); got != a {
		t.Fatalf("revived destination in slot %d, want its old slot %d", got, a)
	}
	if d := s.Dests[a]; !d.Available || d.Weight != 5 {
		t.Errorf("revived destination %+v, want available with weight 5", d)
	}
	if l, _ := find(h.list(), k); len(l.Dests) != 2 || l.Dests[0].ActiveConns != 2 || l.Dests[0].InactConns != 1 {
		t.Errorf("revived destination listed without its connections: %+v", l.Dests)
	}

	// Deleted again, then its last connection expires: reclaimed.
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 0)))
	if _, ok := inSnapshot(h.last(), a); !ok {
		t.Fatal("deleted again with connections: gone from the snapshot")
	}
	h.st.SetDest(a, engine.DestStats{})
	h.m.Refresh()
	if d, ok := inSnapshot(h.last(), a); ok {
		t.Fatalf("no connection left, Refresh ran: slot %d still holds %+v", a, d)
	}
	// The slot is free for the next destination.
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.3", 80, 1)))
	if got := destSlot(t, h.last(), k, "198.18.1.3", 80); got != a {
		t.Errorf("new destination got slot %d, want the reclaimed slot %d", got, a)
	}
	for _, id := range snapService(t, h.last(), k).Dests {
		if h.last().Dests[id].Addr == netip.MustParseAddr("198.18.1.1").As16() {
			t.Errorf("reclaimed destination back in the service")
		}
	}
}

func TestDeletedDestWithoutConnectionsReclaimedAtOnce(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	a := destSlot(t, h.last(), k, "198.18.1.1", 80)
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 1)))
	if d, ok := inSnapshot(h.last(), a); ok {
		t.Errorf("idle deleted destination kept: %+v", d)
	}
}

func TestDeletedServiceDestsInTrash(t *testing.T) {
	h := newHarness(t)
	k, other := tcp("198.18.0.1", 80), tcp("198.18.0.2", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(svcReq(api.OpAddService, other, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	h.ok(destReq(api.OpAddDest, other, dr("198.18.1.9", 80, 1)))
	a := destSlot(t, h.last(), k, "198.18.1.1", 80)
	o := destSlot(t, h.last(), other, "198.18.1.9", 80)
	h.st.SetDest(a, engine.DestStats{InactConns: 1})
	h.st.SetDest(o, engine.DestStats{ActiveConns: 1})

	h.ok(svcReq(api.OpDelService, k, ""))
	if d, ok := inSnapshot(h.last(), a); !ok || d.Available {
		t.Fatalf("destination of a deleted service with connections: %v %+v", ok, d)
	}
	// The same address under another service is another destination.
	h.ok(destReq(api.OpAddDest, other, dr("198.18.1.1", 80, 1)))
	if got := destSlot(t, h.last(), other, "198.18.1.1", 80); got == a {
		t.Errorf("a destination of another service took the trashed slot %d", a)
	}
	// The service comes back with the same real server: revived.
	h.ok(svcReq(api.OpAddService, k, "wlc"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 3)))
	if got := destSlot(t, h.last(), k, "198.18.1.1", 80); got != a {
		t.Errorf("re-created service's destination in slot %d, want %d", got, a)
	}
	if d := h.last().Dests[a]; !d.Available || d.Service != snapService(t, h.last(), k).ID {
		t.Errorf("revived destination %+v", d)
	}

	h.ok(&api.Request{Op: api.OpFlush})
	s := h.last()
	for _, slot := range []uint32{a, o} {
		if d, ok := inSnapshot(s, slot); !ok || d.Available {
			t.Errorf("after flush, connected slot %d: %v %+v", slot, ok, d)
		}
	}
	h.st.SetDest(a, engine.DestStats{})
	h.st.SetDest(o, engine.DestStats{})
	h.m.Refresh()
	for _, slot := range []uint32{a, o} {
		if d, ok := inSnapshot(h.last(), slot); ok {
			t.Errorf("after the connections ended, slot %d still holds %+v", slot, d)
		}
	}
}
