package metrics_test

import (
	"bytes"
	"net"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// direct is an ipvsadm client that hands requests to the model.
type direct struct{ m *model.Model }

func (d direct) Do(req *api.Request) (*api.Response, error) { return d.m.Do(req), nil }

// ipvsadmOut runs ipvsadm against m and returns its standard output.
func ipvsadmOut(t *testing.T, m *model.Model, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	dial := func() (ipvsadm.Client, error) { return direct{m}, nil }
	if rc := ipvsadm.Main("ipvsadm", args, strings.NewReader(""), &out, &errb, dial); rc != 0 {
		t.Fatalf("ipvsadm %s: exit %d: %s", strings.Join(args, " "), rc, errb.String())
	}
	return out.String()
}

// statsColumns name the series of the five columns of ipvsadm --stats.
var statsColumns = []string{"connections_total", "incoming_packets_total", "outgoing_packets_total", "incoming_bytes_total", "outgoing_bytes_total"}

// seriesFromListing turns `ipvsadm -L -n --stats --exact` into the
// xlvs_service_* and xlvs_backend_*_total series it should give, keyed
// "name{label=value,...}" with the labels sorted by name.
func seriesFromListing(t *testing.T, listing string) map[string]float64 {
	t.Helper()
	want := map[string]float64{}
	var proto, vaddr, vport string
	for _, line := range strings.Split(listing, "\n")[3:] {
		f := strings.Fields(line)
		if len(f) != 7 {
			continue
		}
		host, port, err := net.SplitHostPort(f[1])
		if err != nil {
			t.Fatalf("listing line %q: %v", line, err)
		}
		name, labels := "xlvs_backend_", "{local_address="+vaddr+",local_mark=,local_port="+vport+",proto="+proto+
			",remote_address="+host+",remote_port="+port+"}"
		if f[0] != "->" {
			proto, vaddr, vport = f[0], host, port
			name, labels = "xlvs_service_", "{local_address="+host+",local_mark=,local_port="+port+",proto="+proto+"}"
		}
		for i, col := range statsColumns {
			v, err := strconv.ParseFloat(f[2+i], 64)
			if err != nil {
				t.Fatalf("listing line %q: %v", line, err)
			}
			want[name+col+labels] = v
		}
	}
	return want
}

// gather collects c and flattens the series whose names start with one of
// prefixes the way seriesFromListing keys them.
func gather(t *testing.T, c prometheus.Collector, prefixes ...string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		keep := false
		for _, p := range prefixes {
			keep = keep || strings.HasPrefix(mf.GetName(), p)
		}
		if !keep {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			out[mf.GetName()+"{"+strings.Join(ls, ",")+"}"] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}

// TestSeriesFollowTheListing: the per-service and per-real-server counters
// are what `ipvsadm -L -n --stats` shows through -Z, more traffic,
// deletions and a reused slot, while node_exporter's totals behave as
// /proc/net/ip_vs_stats: only -Z of everything lowers them.
func TestSeriesFollowTheListing(t *testing.T) {
	m, p := testModel(t)
	c := metrics.NewCollector(config(m))
	totals := func() map[string]float64 {
		return gather(t, c, "node_ipvs_connections", "node_ipvs_incoming", "node_ipvs_outgoing")
	}
	check := func(step string) {
		t.Helper()
		got := gather(t, c, "xlvs_service_", "xlvs_backend_connections", "xlvs_backend_incoming", "xlvs_backend_outgoing")
		want := seriesFromListing(t, ipvsadmOut(t, m, "-L", "-n", "--stats", "--exact"))
		if len(want) == 0 {
			t.Fatalf("%s: nothing listed", step)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: series\n%v\nwant (ipvsadm -L -n --stats --exact)\n%v", step, got, want)
		}
	}
	total := func(conns, inPkts, inBytes float64) map[string]float64 {
		return map[string]float64{
			"node_ipvs_connections_total{}": conns, "node_ipvs_incoming_packets_total{}": inPkts,
			"node_ipvs_incoming_bytes_total{}": inBytes, "node_ipvs_outgoing_packets_total{}": 0, "node_ipvs_outgoing_bytes_total{}": 0,
		}
	}
	check("at start")
	start := total(20, 152, 9260)
	if got := totals(); !reflect.DeepEqual(got, start) {
		t.Fatalf("totals %v, want %v", got, start)
	}

	ipvsadmOut(t, m, "-Z", "-t", "198.18.0.100:80")
	check("after -Z of one service")
	if got := gather(t, c, "xlvs_service_connections_total"); got[`xlvs_service_connections_total{local_address=198.18.0.100,local_mark=,local_port=80,proto=TCP}`] != 0 {
		t.Errorf("-Z left the service's connections at %v", got)
	}
	if got := totals(); !reflect.DeepEqual(got, start) {
		t.Errorf("-Z of one service changed the totals: %v, want %v", got, start)
	}

	if err := p.AddServer(key("tcp 198.18.0.100:80"), netip.MustParseAddrPort("198.18.0.11:80"), engine.DestStats{Conns: 2, InPkts: 20, InBytes: 1200}); err != nil {
		t.Fatal(err)
	}
	check("after more traffic")
	if got, want := totals(), total(22, 172, 10460); !reflect.DeepEqual(got, want) {
		t.Errorf("totals %v, want %v", got, want)
	}

	ipvsadmOut(t, m, "-d", "-t", "198.18.0.100:80", "-r", "198.18.0.12:80")
	ipvsadmOut(t, m, "-D", "-u", "198.18.0.100:53")
	m.Refresh() // no connections in the fake: the slots are freed
	check("after deleting a real server and a service")
	if got, want := totals(), total(22, 172, 10460); !reflect.DeepEqual(got, want) {
		t.Errorf("deleting changed the totals: %v, want %v", got, want)
	}

	// The UDP service again, on its old slot: it starts from zero.
	ipvsadmOut(t, m, "-A", "-u", "198.18.0.100:53", "-s", "rr")
	ipvsadmOut(t, m, "-a", "-u", "198.18.0.100:53", "-r", "198.18.0.13", "-g")
	check("after adding the service again")

	ipvsadmOut(t, m, "-Z")
	check("after -Z of everything")
	if got, want := totals(), total(0, 0, 0); !reflect.DeepEqual(got, want) {
		t.Errorf("totals after -Z of everything: %v, want zeros (ip_vs_zero_all)", got)
	}
}
