package metrics_test

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// testModel is a model with three services (IPv4 TCP, IPv4 UDP, IPv6 TCP)
// and four real servers, after some traffic counted by the fake dataplane.
func testModel(t testing.TB) (*model.Model, *fakedp.Plane) {
	t.Helper()
	p := fakedp.New()
	m := model.New(model.Config{Stats: p, Publish: p.Publish})
	for _, line := range []string{
		"-A -t 198.18.0.100:80 -s rr",
		"-a -t 198.18.0.100:80 -r 198.18.0.11 -g -w 1",
		"-a -t 198.18.0.100:80 -r 198.18.0.12 -g -w 3",
		"-A -u 198.18.0.100:53 -s wlc",
		"-a -u 198.18.0.100:53 -r 198.18.0.13 -g -w 0",
		"-A -t [fd00:18::100]:80 -s rr",
		"-a -t [fd00:18::100]:80 -r [fd00:18::11]:80 -g -w 2",
	} {
		do(t, m, line)
	}
	for _, c := range []struct {
		svc, rs string
		st      engine.DestStats
	}{
		{"tcp 198.18.0.100:80", "198.18.0.11:80", engine.DestStats{ActiveConns: 3, InactConns: 1, Conns: 10, InPkts: 100, InBytes: 6000}},
		{"tcp 198.18.0.100:80", "198.18.0.12:80", engine.DestStats{ActiveConns: 0, InactConns: 2, Conns: 4, InPkts: 40, InBytes: 2400}},
		{"udp 198.18.0.100:53", "198.18.0.13:53", engine.DestStats{InactConns: 5, Conns: 5, InPkts: 5, InBytes: 300}},
		{"tcp [fd00:18::100]:80", "[fd00:18::11]:80", engine.DestStats{ActiveConns: 1, Conns: 1, InPkts: 7, InBytes: 560}},
	} {
		if err := p.AddServer(key(c.svc), netip.MustParseAddrPort(c.rs), c.st); err != nil {
			t.Fatal(err)
		}
	}
	return m, p
}

// key parses "tcp ADDR:PORT" or "udp ADDR:PORT".
func key(s string) api.ServiceKey {
	proto, ap, _ := strings.Cut(s, " ")
	a := netip.MustParseAddrPort(ap)
	k := api.ServiceKey{Protocol: api.ProtoTCP, Addr: a.Addr(), Port: a.Port()}
	if proto == "udp" {
		k.Protocol = api.ProtoUDP
	}
	return k
}

// config reads the model as xlvsd does.
func config(m *model.Model) metrics.Config {
	return metrics.Config{Services: services(m), Totals: m.Totals}
}

func services(m *model.Model) func() []api.Service {
	return func() []api.Service { return m.Do(&api.Request{Op: api.OpListService}).Services }
}

// TestNodeExporterSeries compares the node_ipvs_* exposition with what
// node_exporter prints for the same table (names, help, types, labels):
// testdata/node_ipvs.prom.
func TestNodeExporterSeries(t *testing.T) {
	m, _ := testModel(t)
	c := metrics.NewCollector(config(m))
	compareGolden(t, c, "node_ipvs.prom")
}

// TestBackendCounters checks xlvs' per-real-server counters after a
// real server is deleted and the weights change.
func TestBackendCounters(t *testing.T) {
	m, _ := testModel(t)
	do(t, m, "-d -t [fd00:18::100]:80 -r [fd00:18::11]:80")
	do(t, m, "-d -u 198.18.0.100:53 -r 198.18.0.13")
	do(t, m, "-e -t 198.18.0.100:80 -r 198.18.0.12 -g -w 7")
	c := metrics.NewCollector(config(m))
	compareGolden(t, c, "backend_counters.prom")
}

func TestWorkerXDPAndHealthSeries(t *testing.T) {
	w0 := engine.Counters{RxPackets: 10, RxBytes: 1000, TxPackets: 8, TxBytes: 800, HandoffOut: 3, HandoffIn: 1,
		ConnsCreated: 4, ConnsExpired: 2, Conns: 2, ConnCapacity: 1024, Batches: 5}
	w0.Drops[verdict.NoService] = 2
	w1 := engine.Counters{RxPackets: 4, ConnCapacity: 1024, HandoffIn: 3}
	w1.Drops[verdict.TTLExceeded] = 1
	vip := netip.MustParseAddr("198.18.0.100")
	c := metrics.NewCollector(metrics.Config{
		Workers: func() []engine.Counters { return []engine.Counters{w0, w1} },
		XDP: func() (map[string]uint64, error) {
			return map[string]uint64{"pass-not-vip": 7, "steer-service-ipv4": 14}, nil
		},
		Health: func() []metrics.RealServerHealth {
			return []metrics.RealServerHealth{
				{Service: api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: 80}, Addr: netip.MustParseAddr("198.18.0.11"), Port: 80, Healthy: true},
				{Service: api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: 80}, Addr: netip.MustParseAddr("198.18.0.12"), Port: 80},
				{Service: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.IPv4Unspecified(), FWMark: 0x10001000}, Addr: netip.MustParseAddr("198.18.0.13"), Port: 3306, Healthy: true},
			}
		},
	})
	compareGolden(t, c, "worker_xdp_health.prom")
	// Drops: one series per worker and reason, named by the drop reason.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if n, err := testutil.GatherAndCount(reg, "xlvs_worker_drops_total"); err != nil || n != 2*(int(verdict.NumReasons)-1) {
		t.Errorf("%d drop series (%v), want %d", n, err, 2*(int(verdict.NumReasons)-1))
	}
	wantDrops := `
# HELP xlvs_worker_drops_total Frames the worker dropped, by reason.
# TYPE xlvs_worker_drops_total counter
`
	var lines []string
	for w, cs := range []engine.Counters{w0, w1} {
		for r := verdict.DropReason(1); r < verdict.NumReasons; r++ {
			lines = append(lines, `xlvs_worker_drops_total{reason="`+r.String()+`",worker="`+string(rune('0'+w))+`"} `+itoa(cs.Drops[r]))
		}
	}
	wantDrops += strings.Join(lines, "\n") + "\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantDrops), "xlvs_worker_drops_total"); err != nil {
		t.Error(err)
	}
}

func TestXDPErrorFailsOnlyItsSeries(t *testing.T) {
	c := metrics.NewCollector(metrics.Config{
		Workers: func() []engine.Counters { return []engine.Counters{{RxPackets: 1}} },
		XDP:     func() (map[string]uint64, error) { return nil, errors.New("map closed") },
	})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err == nil || !strings.Contains(err.Error(), "read XDP counters: map closed") {
		t.Errorf("gather error %v", err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "xlvs_worker_rx_packets_total" {
			found = true
		}
	}
	if !found {
		t.Error("the worker series are missing when the XDP counters fail")
	}
}

func TestPedanticRegistry(t *testing.T) {
	// Describe and Collect agree, label sets are consistent, no duplicates.
	m, _ := testModel(t)
	c := metrics.NewCollector(metrics.Config{Services: services(m), Totals: m.Totals,
		Workers: func() []engine.Counters { return make([]engine.Counters, 3) },
		XDP:     func() (map[string]uint64, error) { return map[string]uint64{"pass-icmp": 1}, nil },
		Health:  func() []metrics.RealServerHealth { return nil }})
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Error(err)
	}
}

// do applies one ipvsadm command line to m and fails the test unless it
// succeeds.
func do(t testing.TB, m *model.Model, line string) {
	t.Helper()
	req, err := ipvsadm.RuleRequest("ipvsadm", line, nil)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if resp := m.Do(req); resp.Err != nil {
		t.Fatalf("%s: %v", line, resp.Err)
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// compareGolden compares what c collects for the metrics that
// testdata/name declares (its "# TYPE" lines) with that file's exposition.
func compareGolden(t *testing.T, c prometheus.Collector, name string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var metrics []string
	for line := range strings.Lines(string(want)) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			metrics = append(metrics, f[2])
		}
	}
	if len(metrics) == 0 {
		t.Fatalf("%s declares no metric", name)
	}
	if err := testutil.CollectAndCompare(c, bytes.NewReader(want), metrics...); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}
