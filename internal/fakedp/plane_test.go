package fakedp

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

func testSnapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	vip := netip.MustParseAddr("198.18.0.100").As16()
	svcs := []snapshot.Service{
		{ID: 0, Proto: 6, Family: 4, Addr: vip, Port: 80, Sched: "rr", Dests: []uint32{0, 1}},
		{ID: 1, Proto: 17, Family: 4, Addr: vip, Port: 80, Sched: "rr", Dests: []uint32{2}},
	}
	dests := []snapshot.Dest{
		{ID: 0, Service: 0, Addr: netip.MustParseAddr("198.18.0.11").As16(), Port: 80, Available: true},
		{ID: 1, Service: 0, Addr: netip.MustParseAddr("198.18.0.12").As16(), Port: 80, Available: true},
		{ID: 2, Service: 1, Addr: netip.MustParseAddr("198.18.0.11").As16(), Port: 80, Available: true},
	}
	s, err := snapshot.Build(1, svcs, dests, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAddCountsServerAndService(t *testing.T) {
	p := New()
	p.Publish(testSnapshot(t))
	udp := api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 80}
	tcp := udp
	tcp.Protocol = api.ProtoTCP
	if err := p.AddServer(udp, netip.MustParseAddrPort("198.18.0.11:80"), engine.DestStats{InactConns: 1, Conns: 1, InPkts: 2, InBytes: 100}); err != nil {
		t.Fatal(err)
	}
	p.Add(1, engine.DestStats{ActiveConns: 1, Conns: 3, InPkts: 30, OutPkts: 5})
	p.Add(1, engine.DestStats{Conns: 1, InPkts: 1})
	if d := p.DestStats(2); d != (engine.DestStats{InactConns: 1, Conns: 1, InPkts: 2, InBytes: 100}) {
		t.Errorf("dest 2: %+v", d)
	}
	if d := p.DestStats(1); d != (engine.DestStats{ActiveConns: 1, Conns: 4, InPkts: 31, OutPkts: 5}) {
		t.Errorf("dest 1: %+v", d)
	}
	if s := p.ServiceStats(0); s != (engine.ServiceStats{Conns: 4, InPkts: 31, OutPkts: 5}) {
		t.Errorf("service 0: %+v", s)
	}
	if s := p.ServiceStats(1); s != (engine.ServiceStats{Conns: 1, InPkts: 2, InBytes: 100}) {
		t.Errorf("service 1: %+v", s)
	}
	if slot, err := p.DestSlot(tcp, netip.MustParseAddrPort("198.18.0.12:80")); err != nil || slot != 1 {
		t.Errorf("DestSlot = %d, %v; want 1", slot, err)
	}
	if _, err := p.DestSlot(tcp, netip.MustParseAddrPort("198.18.0.13:80")); err == nil {
		t.Error("DestSlot found a real server that is not there")
	}
	if _, err := p.ServiceSlot(api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 81}); err == nil {
		t.Error("ServiceSlot found a service that is not there")
	}
}

func TestConnsAndConcurrentUse(t *testing.T) {
	p := New()
	p.Publish(testSnapshot(t))
	want := []engine.ConnInfo{{Proto: 6, CPort: 1}, {Proto: 17, CPort: 2}}
	p.SetConns(want)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Add(0, engine.DestStats{Conns: 1})
				p.ServiceStats(0)
				if got, err := p.ListConns(context.Background()); err != nil || len(got) != 2 {
					t.Errorf("ListConns = %v, %v", got, err)
				}
			}
		}()
	}
	wg.Wait()
	if s := p.ServiceStats(0); s.Conns != 400 {
		t.Errorf("%d connections counted, want 400", s.Conns)
	}
	boom := errors.New("workers gone")
	p.SetConnsError(boom)
	if _, err := p.ListConns(context.Background()); !errors.Is(err, boom) {
		t.Errorf("ListConns error %v, want %v", err, boom)
	}
}
