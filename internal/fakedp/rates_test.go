package fakedp

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// TestFWMarkSlots finds firewall-mark services by mark and family, and
// their real servers by address, next to an address service.
func TestFWMarkSlots(t *testing.T) {
	vip := netip.MustParseAddr("198.18.0.100")
	rs := netip.MustParseAddr("198.18.0.11")
	rs6 := netip.MustParseAddr("fd00:18::11")
	svcs := []snapshot.Service{
		{ID: 0, Proto: 6, Family: 4, Addr: vip.As16(), Port: 80, Sched: "rr", Dests: []uint32{0}},
		{ID: 1, Family: 4, FWMark: 7, Sched: "rr", Dests: []uint32{1}},
		{ID: 2, Family: 6, FWMark: 7, Sched: "rr", Dests: []uint32{2}},
	}
	dests := []snapshot.Dest{
		{ID: 0, Service: 0, Addr: rs.As16(), Port: 80, Available: true},
		{ID: 1, Service: 1, Addr: rs.As16(), Port: 0, Available: true},
		{ID: 2, Service: 2, Addr: rs6.As16(), Port: 0, Available: true},
	}
	s, err := snapshot.Build(1, svcs, dests, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	p.Publish(s)
	mark4 := api.ServiceKey{FWMark: 7, Addr: netip.IPv4Unspecified()}
	mark6 := api.ServiceKey{FWMark: 7, Addr: netip.IPv6Unspecified()}
	for _, c := range []struct {
		k    api.ServiceKey
		rs   netip.AddrPort
		svc  uint32
		dest uint32
	}{
		{api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: 80}, netip.AddrPortFrom(rs, 80), 0, 0},
		{mark4, netip.AddrPortFrom(rs, 0), 1, 1},
		{mark6, netip.AddrPortFrom(rs6, 0), 2, 2},
	} {
		if got, err := p.ServiceSlot(c.k); err != nil || got != c.svc {
			t.Errorf("ServiceSlot(%s) = %d, %v; want %d", keyString(c.k), got, err, c.svc)
		}
		if got, err := p.DestSlot(c.k, c.rs); err != nil || got != c.dest {
			t.Errorf("DestSlot(%s, %s) = %d, %v; want %d", keyString(c.k), c.rs, got, err, c.dest)
		}
	}
	if _, err := p.ServiceSlot(api.ServiceKey{FWMark: 8, Addr: netip.IPv4Unspecified()}); err == nil {
		t.Error("ServiceSlot found fwmark 8")
	}
	if _, err := p.DestSlot(mark4, netip.AddrPortFrom(rs6, 0)); err == nil {
		t.Error("DestSlot found the IPv6 mark service's real server in the IPv4 one")
	}
}

func TestRates(t *testing.T) {
	p := New()
	if r := p.ServiceRates(3); r != (api.Stats{}) {
		t.Errorf("unset service rates %+v", r)
	}
	p.SetServiceRates(3, api.Stats{CPS: 1, InPPS: 2})
	p.SetDestRates(3, api.Stats{OutBPS: 9})
	if r := p.ServiceRates(3); r != (api.Stats{CPS: 1, InPPS: 2}) {
		t.Errorf("service rates %+v", r)
	}
	if r := p.DestRates(3); r != (api.Stats{OutBPS: 9}) {
		t.Errorf("dest rates %+v", r)
	}
	if r := p.DestRates(4); r != (api.Stats{}) {
		t.Errorf("unset dest rates %+v", r)
	}
}
