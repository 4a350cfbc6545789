package httpapi_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/httpapi"
)

func TestEstimator(t *testing.T) {
	k := api.ServiceKey{Protocol: api.ProtoUDP, Addr: vip, Port: 53}
	rs := netip.MustParseAddr("198.18.0.11")
	svc := func(conns, pkts uint64) []api.Service {
		st := api.Stats{Conns: conns, InPkts: pkts, OutPkts: pkts / 2, InBytes: pkts * 100, OutBytes: pkts * 50}
		return []api.Service{{Key: k, Stats: st, Dests: []api.Dest{{Addr: rs, Port: 53, Stats: st}}}}
	}
	e := httpapi.NewEstimator()
	e.Sample(svc(1000, 10000), 2*time.Second) // primes: no rate yet
	if r := e.ServiceRates(k); r != (httpapi.Rates{}) {
		t.Fatalf("rates after the first sample: %+v", r)
	}
	// A steady 100 conn/s and 1000 pkt/s: the average climbs as IPVS's
	// does (1/4 of the gap per sample): 25, 43.75, 57.8, 68.4, ...
	want := []httpapi.Rates{
		{CPS: 25, InPPS: 250, OutPPS: 125, InBPS: 25000, OutBPS: 12500},
		{CPS: 44, InPPS: 438, OutPPS: 219, InBPS: 43750, OutBPS: 21875},
		{CPS: 58, InPPS: 578, OutPPS: 289, InBPS: 57813, OutBPS: 28906},
		{CPS: 68, InPPS: 684, OutPPS: 342, InBPS: 68359, OutBPS: 34180},
	}
	conns, pkts := uint64(1000), uint64(10000)
	for i, w := range want {
		conns, pkts = conns+200, pkts+2000
		e.Sample(svc(conns, pkts), 2*time.Second)
		r := e.ServiceRates(k)
		if r != w {
			t.Errorf("sample %d: %+v, want %+v", i+2, r, w)
		}
		if d := e.DestRates(k, rs, 53); d != r {
			t.Errorf("sample %d: real server %+v, service %+v", i+2, d, r)
		}
	}
	// A real interval of 4 s halves the rate of the same increment.
	e2 := httpapi.NewEstimator()
	e2.Sample(svc(0, 0), 4*time.Second)
	e2.Sample(svc(400, 0), 4*time.Second)
	if r := e2.ServiceRates(k); r.CPS != 25 {
		t.Errorf("400 conns in 4 s: cps %d, want 25 (100/s smoothed by 1/4)", r.CPS)
	}
	// Counters going back (zeroed) restart the average.
	e.Sample(svc(0, 0), 2*time.Second)
	if r := e.ServiceRates(k); r != (httpapi.Rates{}) {
		t.Errorf("after zeroing: %+v", r)
	}
	// A service that disappears is forgotten.
	e.Sample(svc(200, 2000), 2*time.Second)
	e.Sample(nil, 2*time.Second)
	if r := e.ServiceRates(k); r != (httpapi.Rates{}) {
		t.Errorf("deleted service still has rates %+v", r)
	}
}
