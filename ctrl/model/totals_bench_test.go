package model_test

import (
	"testing"

	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
)

// BenchmarkTotals reads the director's totals from a real engine of two
// workers (every service slot of both): the cost the node_ipvs_*_total
// series add to a scrape.
func BenchmarkTotals(b *testing.B) {
	cfg := engine.DefaultConfig()
	cfg.ConnCapacity = 1024
	eng, err := engine.New(cfg, []port.Port{memport.New(64, 2048, 1), memport.New(64, 2048, 1)})
	if err != nil {
		b.Fatal(err)
	}
	m := model.New(model.Config{Stats: eng, Publish: eng.Publish})
	b.ReportAllocs()
	for b.Loop() {
		m.Totals()
	}
}
