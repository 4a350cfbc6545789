package metrics_test

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/health"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/ctrl/model"
)

// listenLoopback accepts and closes TCP connections on addr until stop.
func listenLoopback(t *testing.T, addr string) (stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return func() { ln.Close() }
}

// TestHealthSeriesFromChecker runs a real health checker on a real model
// and scrapes the collector as xlvsd wires it: xlvs_backend_healthy is 1
// for the checked real servers that pass, turns 0 when one stops
// listening (which also leaves the listing, or stays at weight 0 with
// inhibit_on_failure), and comes back to 1; the unchecked real server and
// the sorry server have no health series.
func TestHealthSeriesFromChecker(t *testing.T) {
	m := model.New(model.Config{})
	c, err := health.New(health.Config{Apply: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a1, a2 := fmt.Sprintf("127.0.0.11:%d", port), fmt.Sprintf("127.0.0.12:%d", port)
	listenLoopback(t, a1)
	stop2 := listenLoopback(t, a2)
	check := health.DefaultCheck(health.TCPCheck)
	check.DelayLoop, check.DelayBeforeRetry, check.Warmup, check.ConnectTimeout = 20*time.Millisecond, 10*time.Millisecond, 0, 2*time.Second
	dest := func(addr string, w int32) api.Dest {
		ap := netip.MustParseAddrPort(addr)
		return api.Dest{Addr: ap.Addr(), Port: ap.Port(), Method: api.MethodRoute, Weight: w}
	}
	key := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 80}
	sorry := dest("127.0.0.9:80", 1)
	svc := health.Service{
		Service: api.Service{Key: key, Scheduler: "rr"},
		Reals: []health.Real{
			{Dest: dest(a1, 1), Checks: []health.Check{check}},
			{Dest: dest(a2, 2), Checks: []health.Check{check}, Inhibit: true},
			{Dest: dest("127.0.0.13:80", 3)}, // no checks
		},
		Sorry: &sorry, SorryInhibit: true,
	}
	if err := c.Update([]health.Service{svc}); err != nil {
		t.Fatal(err)
	}
	col := metrics.NewCollector(metrics.Config{
		Services: func() []api.Service { return m.Do(&api.Request{Op: api.OpListService}).Services },
		Health:   func() []metrics.RealServerHealth { return metrics.CheckedHealth(c.Status()) },
	})
	labels := func(addr string) string {
		ap := netip.MustParseAddrPort(addr)
		return fmt.Sprintf(`{local_address="198.18.0.100",local_mark="",local_port="80",proto="TCP",remote_address="%s",remote_port="%d"}`, ap.Addr(), ap.Port())
	}
	expo := func(h1, h2, w2 int) string {
		return fmt.Sprintf(`
# HELP node_ipvs_backend_weight The current backend weight by local and remote address.
# TYPE node_ipvs_backend_weight gauge
node_ipvs_backend_weight%s 1
node_ipvs_backend_weight%s %d
node_ipvs_backend_weight%s 3
node_ipvs_backend_weight%s 0
# HELP xlvs_backend_healthy 1 if the health checks find the real server healthy, 0 if not.
# TYPE xlvs_backend_healthy gauge
xlvs_backend_healthy%s %d
xlvs_backend_healthy%s %d
`, labels(a1), labels(a2), w2, labels("127.0.0.13:80"), labels("127.0.0.9:80"), labels(a1), h1, labels(a2), h2)
	}
	waitExposition := func(want string) {
		t.Helper()
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if err = testutil.CollectAndCompare(col, strings.NewReader(want), "node_ipvs_backend_weight", "xlvs_backend_healthy"); err == nil {
				return
			}
		}
		t.Fatal(err)
	}
	waitExposition(expo(1, 1, 2))
	stop2()
	waitExposition(expo(1, 0, 0)) // inhibit_on_failure: weight 0, still listed
	listenLoopback(t, a2)
	waitExposition(expo(1, 1, 2))
}

// TestCheckedHealthLeavesOutUnchecked converts a status report: sorry
// servers and real servers without checks have no health.
func TestCheckedHealthLeavesOutUnchecked(t *testing.T) {
	k := api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("fd00:18::100"), Port: 53}
	a := netip.MustParseAddr("fd00:18::11")
	got := metrics.CheckedHealth([]health.RealServerStatus{
		{Service: k, Addr: a, Port: 53, Healthy: false, Checkers: []string{"MISC_CHECK"}},
		{Service: k, Addr: netip.MustParseAddr("fd00:18::12"), Port: 53, Healthy: true},
		{Service: k, Addr: netip.MustParseAddr("fd00:18::13"), Port: 53, Healthy: true, Sorry: true, Checkers: nil},
	})
	want := []metrics.RealServerHealth{{Service: k, Addr: a, Port: 53, Healthy: false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CheckedHealth: %+v, want %+v", got, want)
	}
}
