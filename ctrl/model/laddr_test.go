package model_test

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/fakedp"
)

func laddrReq(op api.Op, k api.ServiceKey, addr, ifname string) *api.Request {
	req := &api.Request{Op: op, Service: &api.Service{Key: k}}
	if addr != "" {
		req.Laddr = &api.LocalAddr{Addr: netip.MustParseAddr(addr), Ifname: ifname}
	}
	return req
}

// laddrStats adds per-local-address counters to the fake dataplane.
type laddrStats struct {
	*fakedp.Plane
	mu    sync.Mutex
	conns map[uint32]uint64
}

func (l *laddrStats) LaddrStats(slot uint32) (uint64, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[slot], 2 * l.conns[slot]
}

func (l *laddrStats) set(slot uint32, n uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[slot] = n
}

// laddrHarness is a harness whose stats report local address counters and
// whose interface names resolve from a table.
func laddrHarness(t *testing.T) (*harness, *laddrStats) {
	h := &harness{t: t, nh: newFakeNextHops(), st: fakedp.New()}
	ls := &laddrStats{Plane: h.st, conns: map[uint32]uint64{}}
	h.m = model.New(model.Config{
		Links: testLinks, NextHops: h.nh, Stats: ls, Publish: h.publish,
		IfIndex: func(name string) int { return map[string]int{"dpdk0": 5, "dpdk1": 7, "other": 9}[name] },
	})
	return h, ls
}

func localAddr(s *snapshot.Snapshot, addr string) *snapshot.LocalAddr {
	a := netip.MustParseAddr(addr).As16()
	return s.LookupLocalAddr(&a)
}

func TestLaddrs(t *testing.T) {
	h, ls := laddrHarness(t)
	k, k2 := tcp("198.18.0.1", 80), tcp("198.18.0.1", 443)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(svcReq(api.OpAddService, k2, "rr"))
	fn := dr("198.18.1.1", 8080, 1)
	fn.Method = api.MethodFullNAT
	h.ok(destReq(api.OpAddDest, k, fn))
	h.ok(laddrReq(api.OpAddLaddr, k, "198.18.0.200", "dpdk1"))
	h.ok(laddrReq(api.OpAddLaddr, k, "198.18.0.201", ""))
	h.ok(laddrReq(api.OpAddLaddr, k2, "198.18.0.201", ""))

	got := h.ok(laddrReq(api.OpGetLaddrs, k, "", "")).Laddrs
	want := []api.LocalAddr{{Addr: netip.MustParseAddr("198.18.0.200"), Ifname: "dpdk1"}, {Addr: netip.MustParseAddr("198.18.0.201")}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("get-laddrs = %+v, want %+v", got, want)
	}

	snap := h.last()
	a200, a201 := localAddr(snap, "198.18.0.200"), localAddr(snap, "198.18.0.201")
	if a200 == nil || a201 == nil || a200.Link != 1 || a201.Link != snapshot.NoLink || !a200.Available || a200.Family != 4 {
		t.Fatalf("snapshot local addresses %+v %+v", a200, a201)
	}
	svc := snap.Lookup(6, ptr(netip.MustParseAddr("198.18.0.1").As16()), 80)
	if l := svc.FullNAT.Laddrs; len(l) != 2 || l[0] != a200.ID || l[1] != a201.ID {
		t.Errorf("service local address slots %v, want [%d %d]", l, a200.ID, a201.ID)
	}
	svc2 := snap.Lookup(6, ptr(netip.MustParseAddr("198.18.0.1").As16()), 443)
	if l := svc2.FullNAT.Laddrs; len(l) != 1 || l[0] != a201.ID {
		t.Errorf("a shared address must keep one slot: %v, want [%d]", l, a201.ID)
	}
	if d := snap.Dests[svc.Dests[0]]; d.Method != snapshot.MethodFullNAT || d.Port != 8080 {
		t.Errorf("FULLNAT real server compiled as %+v", d)
	}

	// Counters come from the dataplane.
	ls.set(a200.ID, 3)
	if got := h.ok(laddrReq(api.OpGetLaddrs, k, "", "")).Laddrs[0]; got.Conns != 3 || got.PortConflicts != 6 {
		t.Errorf("counters %+v", got)
	}

	// Deleted while connections use it: unavailable, still there.
	h.ok(laddrReq(api.OpDelLaddr, k, "198.18.0.200", ""))
	snap = h.last()
	if a := localAddr(snap, "198.18.0.200"); a == nil || a.Available {
		t.Fatalf("deleted address in use: %+v, want present and unavailable", a)
	}
	if l := snap.Lookup(6, ptr(netip.MustParseAddr("198.18.0.1").As16()), 80).FullNAT.Laddrs; len(l) != 1 || l[0] != a201.ID {
		t.Errorf("after delete the service offers %v", l)
	}
	// Its connections gone, the slot is reclaimed at the next refresh.
	ls.set(a200.ID, 0)
	h.m.Refresh()
	if a := localAddr(h.last(), "198.18.0.200"); a != nil {
		t.Errorf("drained address still in the snapshot: %+v", a)
	}
	// Deleting a service releases its addresses; the shared one stays for
	// the other service.
	h.ok(svcReq(api.OpDelService, k, ""))
	if a := localAddr(h.last(), "198.18.0.201"); a == nil || !a.Available {
		t.Errorf("shared address after deleting one service: %+v", a)
	}
	h.ok(&api.Request{Op: api.OpFlush})
	if a := localAddr(h.last(), "198.18.0.201"); a != nil {
		t.Errorf("address after flush: %+v", a)
	}
}

func ptr[T any](v T) *T { return &v }

func TestLaddrRefusals(t *testing.T) {
	h, _ := laddrHarness(t)
	k, k6, missing := tcp("198.18.0.1", 80), tcp("2001:db8::1", 80), tcp("198.18.0.1", 81)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(svcReq(api.OpAddService, k6, "rr"))
	h.ok(laddrReq(api.OpAddLaddr, k, "198.18.0.200", "dpdk0"))
	cases := []struct {
		name string
		req  *api.Request
		code api.Code
	}{
		{"missing service", laddrReq(api.OpAddLaddr, missing, "198.18.0.201", ""), api.CodeNoService},
		{"get of a missing service", laddrReq(api.OpGetLaddrs, missing, "", ""), api.CodeNoService},
		{"duplicate", laddrReq(api.OpAddLaddr, k, "198.18.0.200", "dpdk0"), api.CodeExists},
		{"duplicate as IPv4-mapped", laddrReq(api.OpAddLaddr, k, "::ffff:198.18.0.200", "dpdk0"), api.CodeExists},
		{"IPv6 address of an IPv4 service", laddrReq(api.OpAddLaddr, k, "2001:db8::200", ""), api.CodeAFNoSupport},
		{"IPv4 address of an IPv6 service", laddrReq(api.OpAddLaddr, k6, "198.18.0.201", ""), api.CodeAFNoSupport},
		{"unspecified", laddrReq(api.OpAddLaddr, k, "0.0.0.0", ""), api.CodeInvalid},
		{"multicast", laddrReq(api.OpAddLaddr, k, "239.0.0.1", ""), api.CodeInvalid},
		{"loopback", laddrReq(api.OpAddLaddr, k, "127.0.0.2", ""), api.CodeInvalid},
		{"a virtual address", laddrReq(api.OpAddLaddr, k6, "2001:db8::1", ""), api.CodeInvalid},
		{"unknown interface", laddrReq(api.OpAddLaddr, k, "198.18.0.201", "nosuch0"), api.CodeNoDevice},
		{"interface not served", laddrReq(api.OpAddLaddr, k, "198.18.0.201", "other"), api.CodeNoDevice},
		{"an IPv6 address of the IPv6 service", laddrReq(api.OpAddLaddr, k6, "2001:db8::200", ""), api.CodeOK},
		{"delete a missing address", laddrReq(api.OpDelLaddr, k, "198.18.0.201", ""), api.CodeNotFound},
		{"delete from a missing service", laddrReq(api.OpDelLaddr, missing, "198.18.0.200", ""), api.CodeNoService},
		{"no address", &api.Request{Op: api.OpAddLaddr, Service: &api.Service{Key: k}}, api.CodeInvalid},
		{"no service", &api.Request{Op: api.OpAddLaddr, Laddr: &api.LocalAddr{Addr: netip.MustParseAddr("198.18.0.201")}}, api.CodeInvalid},
	}
	for _, c := range cases {
		if c.code == api.CodeOK {
			h.ok(c.req)
			continue
		}
		h.refused(c.req, c.code, "")
	}
	// The same address for another service, on another interface.
	k2 := tcp("198.18.0.1", 82)
	h.ok(svcReq(api.OpAddService, k2, "rr"))
	h.refused(laddrReq(api.OpAddLaddr, k2, "198.18.0.200", "dpdk1"), api.CodeInvalid, "")
	h.ok(laddrReq(api.OpAddLaddr, k2, "198.18.0.200", "dpdk0"))
	// A service has at most MaxLaddrsPerService addresses.
	for i := 1; len(h.ok(laddrReq(api.OpGetLaddrs, k2, "", "")).Laddrs) < model.MaxLaddrsPerService; i++ {
		h.ok(laddrReq(api.OpAddLaddr, k2, netip.AddrFrom4([4]byte{198, 18, 3, byte(i)}).String(), ""))
	}
	h.refused(laddrReq(api.OpAddLaddr, k2, "198.18.4.1", ""), api.CodeNoMem, "")
}

func TestClientAddrMode(t *testing.T) {
	h := newHarness(t)
	k, ku := tcp("198.18.0.1", 80), api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("198.18.0.1"), Port: 53}
	with := func(op api.Op, key api.ServiceKey, mode string) *api.Request {
		r := svcReq(op, key, "rr")
		r.Service.ClientAddr = mode
		return r
	}
	h.ok(with(api.OpAddService, k, api.ClientAddrTOA))
	h.refused(with(api.OpAddService, ku, api.ClientAddrTOA), api.CodeUnsupported, "")
	h.refused(with(api.OpAddService, ku, "proxy-v1"), api.CodeInvalid, "")
	h.ok(with(api.OpAddService, ku, api.ClientAddrProxyV2))
	mode := func(key api.ServiceKey) (string, snapshot.ClientAddrMode) {
		a := key.Addr.As16()
		return h.ok(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: key}}).Services[0].ClientAddr,
			h.last().Lookup(uint8(key.Protocol), &a, key.Port).FullNAT.ClientAddr
	}
	if l, s := mode(k); l != api.ClientAddrTOA || s != snapshot.ClientAddrTOA {
		t.Errorf("tcp service: listed %q, compiled %d", l, s)
	}
	if l, s := mode(ku); l != api.ClientAddrProxyV2 || s != snapshot.ClientAddrProxyV2 {
		t.Errorf("udp service: listed %q, compiled %d", l, s)
	}
	// -E sets every attribute: without a mode, the mode goes off.
	h.ok(with(api.OpEditService, k, ""))
	if l, s := mode(k); l != "" || s != snapshot.ClientAddrNone {
		t.Errorf("after edit: listed %q, compiled %d", l, s)
	}
	h.ok(with(api.OpEditService, k, api.ClientAddrProxyV2))
	if l, _ := mode(k); l != api.ClientAddrProxyV2 {
		t.Errorf("after edit to proxy-v2: %q", l)
	}
}
