package metrics_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// BenchmarkScrape gathers every series of a director with 100 services of
// 10 real servers each and 2 workers: the cost of one Prometheus scrape
// without the HTTP encoding.
func BenchmarkScrape(b *testing.B) {
	p := fakedp.New()
	m := model.New(model.Config{Stats: p, Publish: p.Publish})
	for s := range 100 {
		k := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: uint16(1000 + s)}
		if r := m.Do(&api.Request{Op: api.OpAddService, Service: &api.Service{Key: k, Scheduler: "rr", Netmask: 0xffffffff}}); r.Err != nil {
			b.Fatal(r.Err)
		}
		for d := range 10 {
			a := netip.MustParseAddr(fmt.Sprintf("198.18.1.%d", d+1))
			if r := m.Do(&api.Request{Op: api.OpAddDest, Service: &api.Service{Key: k}, Dest: &api.Dest{Addr: a, Port: k.Port, Method: api.MethodRoute, Weight: 1}}); r.Err != nil {
				b.Fatal(r.Err)
			}
			if err := p.AddServer(k, netip.AddrPortFrom(a, k.Port), engine.DestStats{Conns: 5, InPkts: 50}); err != nil {
				b.Fatal(err)
			}
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(metrics.Config{
		Services: services(m),
		Totals:   m.Totals,
		Workers:  func() []engine.Counters { return make([]engine.Counters, 2) },
		XDP:      func() (map[string]uint64, error) { return map[string]uint64{"pass-icmp": 1}, nil },
	}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
