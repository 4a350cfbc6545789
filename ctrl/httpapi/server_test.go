package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/httpapi"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/metrics"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/fakedp"
)

var vip = netip.MustParseAddr("198.18.0.100")

type world struct {
	m   *model.Model
	dp  *fakedp.Plane
	srv *httptest.Server
}

var (
	key80  = api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: 80}
	key443 = api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("fd00:18::100"), Port: 443}
)

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dp: fakedp.New()}
	w.m = model.New(model.Config{Stats: w.dp, Publish: w.dp.Publish})
	for _, line := range []string{
		"-A -t 198.18.0.100:80 -s wrr -b flag-2",
		"-a -t 198.18.0.100:80 -r 198.18.0.11 -g -w 1",
		"-a -t 198.18.0.100:80 -r 198.18.0.12 -g -w 2",
		"-A -t [fd00:18::100]:443 -s rr",
		"-a -t [fd00:18::100]:443 -r [fd00:18::11]:443 -g -w 5",
	} {
		req, err := ipvsadm.RuleRequest("ipvsadm", line, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp := w.m.Do(req); resp.Err != nil {
			t.Fatalf("%s: %v", line, resp.Err)
		}
	}
	w.add(t, key80, "198.18.0.11:80", engine.DestStats{ActiveConns: 2, InactConns: 1, Conns: 9, InPkts: 90, InBytes: 5400})
	w.add(t, key80, "198.18.0.12:80", engine.DestStats{ActiveConns: 1, Conns: 3, InPkts: 30, InBytes: 1800})
	w.add(t, key443, "[fd00:18::11]:443", engine.DestStats{InactConns: 4, Conns: 4, InPkts: 8, InBytes: 640})
	w0 := engine.Counters{RxPackets: 100, RxBytes: 9000, TxPackets: 95, TxBytes: 8500, HandoffOut: 4, ConnsCreated: 12, ConnsExpired: 3, Conns: 9, ConnCapacity: 1024}
	w0.Drops[verdict.NoService] = 5
	w0.ConnStates[conntrack.StateEstablished], w0.ConnStates[conntrack.StateFinWait], w0.ConnStates[conntrack.StateUDP] = 3, 4, 2
	w1 := engine.Counters{HandoffIn: 4, Conns: 1, ConnCapacity: 1024}
	w1.ConnStates[conntrack.StateFinWait] = 1
	w.srv = httptest.NewServer(httpapi.NewHandler(httpapi.Config{
		Services: func() []api.Service { return w.m.Do(&api.Request{Op: api.OpListService}).Services },
		Health: func() []metrics.RealServerHealth {
			return []metrics.RealServerHealth{
				{Service: key80, Addr: netip.MustParseAddr("198.18.0.11"), Port: 80, Healthy: true},
				{Service: key80, Addr: netip.MustParseAddr("198.18.0.12"), Port: 80, Healthy: false},
			}
		},
		Counters: func() map[string]uint64 { return map[string]uint64{"rx-packets": 100, "drop-no-service": 5} },
		Workers:  func() []engine.Counters { return []engine.Counters{w0, w1} },
		Metrics: http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
			io.WriteString(rw, "# metrics\n")
		}),
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// add counts traffic for real server rs of service k in the fake dataplane.
func (w *world) add(t *testing.T, k api.ServiceKey, rs string, st engine.DestStats) {
	t.Helper()
	if err := w.dp.AddServer(k, netip.MustParseAddrPort(rs), st); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, w *world, method, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func getJSON(t *testing.T, w *world, path string, v any) {
	t.Helper()
	code, h, body := get(t, w, http.MethodGet, path)
	if code != http.StatusOK || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s\n%s", path, code, h.Get("Content-Type"), body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

func TestServices(t *testing.T) {
	w := newWorld(t)
	var got httpapi.ServiceList
	getJSON(t, w, "/api/v1/services", &got)
	want := httpapi.ServiceList{Services: []httpapi.Service{
		{ID: "tcp/198.18.0.100/80", Protocol: "tcp", Address: "198.18.0.100", Port: 80, Scheduler: "wrr", Flags: []string{"flag-2"},
			Stats: httpapi.Stats{Connections: 12, InPackets: 120, InBytes: 7200},
			RealServers: []httpapi.RealServer{
				{Address: "198.18.0.12", Port: 80, Forward: "route", Weight: 2, ActiveConnections: 1, Health: "down",
					Stats: httpapi.Stats{Connections: 3, InPackets: 30, InBytes: 1800}},
				{Address: "198.18.0.11", Port: 80, Forward: "route", Weight: 1, ActiveConnections: 2, InactiveConnections: 1, Health: "up",
					Stats: httpapi.Stats{Connections: 9, InPackets: 90, InBytes: 5400}},
			}},
		{ID: "tcp/fd00:18::100/443", Protocol: "tcp", Address: "fd00:18::100", Port: 443, Scheduler: "rr", Flags: []string{},
			Stats: httpapi.Stats{Connections: 4, InPackets: 8, InBytes: 640},
			RealServers: []httpapi.RealServer{
				{Address: "fd00:18::11", Port: 443, Forward: "route", Weight: 5, InactiveConnections: 4, Health: "unknown",
					Stats: httpapi.Stats{Connections: 4, InPackets: 8, InBytes: 640}},
			}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GET /api/v1/services:\n got %+v\nwant %+v", got, want)
	}
	var one httpapi.Service
	getJSON(t, w, "/api/v1/services/tcp/fd00:18::100/443", &one)
	if !reflect.DeepEqual(one, want.Services[1]) {
		t.Errorf("GET one IPv6 service:\n got %+v\nwant %+v", one, want.Services[1])
	}
	getJSON(t, w, "/api/v1/services/"+want.Services[0].ID, &one)
	if !reflect.DeepEqual(one, want.Services[0]) {
		t.Errorf("GET by id:\n got %+v\nwant %+v", one, want.Services[0])
	}
}

// TestFieldNames pins the documented JSON field names.
func TestFieldNames(t *testing.T) {
	w := newWorld(t)
	var raw map[string][]map[string]any
	getJSON(t, w, "/api/v1/services", &raw)
	svc := raw["services"][0]
	wantSvc := []string{"address", "flags", "fwmark", "id", "persistence_timeout", "port", "protocol", "rates", "real_servers", "scheduler", "stats"}
	if got := sortedKeys(svc); !slices.Equal(got, wantSvc) {
		t.Errorf("service fields %v, want %v", got, wantSvc)
	}
	rs := svc["real_servers"].([]any)[0].(map[string]any)
	wantRS := []string{"active_connections", "address", "forward", "health", "inactive_connections", "lower_threshold", "port", "rates", "stats", "upper_threshold", "weight"}
	if got := sortedKeys(rs); !slices.Equal(got, wantRS) {
		t.Errorf("real server fields %v, want %v", got, wantRS)
	}
	if got := sortedKeys(rs["stats"].(map[string]any)); !slices.Equal(got, []string{"connections", "in_bytes", "in_packets", "out_bytes", "out_packets"}) {
		t.Errorf("stats fields %v", got)
	}
	if got := sortedKeys(rs["rates"].(map[string]any)); !slices.Equal(got, []string{"cps", "in_bps", "in_pps", "out_bps", "out_pps"}) {
		t.Errorf("rates fields %v", got)
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}

func TestServiceErrors(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		path string
		code int
		msg  string
	}{
		{"/api/v1/services/tcp/198.18.0.100/81", 404, "no such service: tcp/198.18.0.100/81"},
		{"/api/v1/services/udp/198.18.0.100/80", 404, "no such service: udp/198.18.0.100/80"},
		{"/api/v1/services/icmp/198.18.0.100/80", 400, `invalid protocol "icmp": want tcp, udp or sctp`},
		{"/api/v1/services/tcp/198.18.0.300/80", 400, `invalid address "198.18.0.300"`},
		{"/api/v1/services/tcp/198.18.0.100/65536", 400, `invalid port "65536": want 0..65535`},
		{"/api/v1/nothing", 404, "no such resource: /api/v1/nothing"},
		{"/api/v1/services/tcp/198.18.0.100", 404, "no such resource: /api/v1/services/tcp/198.18.0.100"},
	} {
		code, h, body := get(t, w, http.MethodGet, c.path)
		var e struct{ Error string }
		json.Unmarshal([]byte(body), &e)
		if code != c.code || e.Error != c.msg || h.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, code, body, c.code, c.msg)
		}
	}
}

func TestReadOnly(t *testing.T) {
	w := newWorld(t)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, p := range []string{"/api/v1/services", "/api/v1/services/tcp/198.18.0.100/80", "/api/v1/counters", "/metrics", "/healthz", "/elsewhere"} {
			code, h, body := get(t, w, m, p)
			if code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET, HEAD" || !strings.Contains(body, "read-only") {
				t.Errorf("%s %s: %d, Allow %q, %s", m, p, code, h.Get("Allow"), body)
			}
		}
	}
	// Nothing changed.
	if n := len(w.m.Do(&api.Request{Op: api.OpListService}).Services); n != 2 {
		t.Errorf("%d services after the refused requests", n)
	}
	if code, _, body := get(t, w, http.MethodGet, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, _, body := get(t, w, http.MethodGet, "/metrics"); code != 200 || body != "# metrics\n" {
		t.Errorf("/metrics: %d %q", code, body)
	}
	if code, _, _ := get(t, w, http.MethodHead, "/api/v1/services"); code != 200 {
		t.Errorf("HEAD: %d", code)
	}
}

func TestSummaryAndCounters(t *testing.T) {
	w := newWorld(t)
	var s httpapi.Summary
	getJSON(t, w, "/api/v1/connections/summary", &s)
	want := httpapi.Summary{Entries: 10, Capacity: 2048,
		Workers:  []httpapi.WorkerConnections{{Worker: 0, Entries: 9, Capacity: 1024}, {Worker: 1, Entries: 1, Capacity: 1024}},
		Services: []httpapi.ServiceConnections{{ID: "tcp/198.18.0.100/80", Active: 3, Inactive: 1}, {ID: "tcp/fd00:18::100/443", Inactive: 4}},
		ByState:  allStates(map[string]uint64{"ESTABLISHED": 3, "FIN_WAIT": 5, "UDP": 2}),
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("summary:\n got %+v\nwant %+v", s, want)
	}
	var c httpapi.Counters
	getJSON(t, w, "/api/v1/counters", &c)
	if c.Totals["rx-packets"] != 100 || c.Totals["drop-no-service"] != 5 || len(c.Workers) != 2 {
		t.Fatalf("counters: %+v", c)
	}
	w0 := c.Workers[0]
	if w0.RxPackets != 100 || w0.RxBytes != 9000 || w0.TxPackets != 95 || w0.TxBytes != 8500 || w0.HandoffOut != 4 ||
		w0.ConnectionsCreated != 12 || w0.ConnectionsExpired != 3 || w0.Drops["no-service"] != 5 || len(w0.Drops) != int(verdict.NumReasons)-1 {
		t.Errorf("worker 0: %+v", w0)
	}
	if c.Workers[1].HandoffIn != 4 || c.Workers[1].Worker != 1 {
		t.Errorf("worker 1: %+v", c.Workers[1])
	}
}

func TestEmptySources(t *testing.T) {
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{}))
	defer srv.Close()
	for path, want := range map[string]string{
		"/api/v1/services": `{"services":[]}`,
		"/api/v1/connections/summary": `{"entries":0,"capacity":0,"workers":[],"services":[],"by_state":{` +
			`"NONE":0,"ESTABLISHED":0,"SYN_SENT":0,"SYN_RECV":0,"FIN_WAIT":0,"TIME_WAIT":0,"CLOSE":0,"CLOSE_WAIT":0,` +
			`"LAST_ACK":0,"LISTEN":0,"SYNACK":0,"UDP":0,` +
			`"INIT1":0,"INIT":0,"C-SENT":0,"C-REPLIED":0,"C-WAIT":0,"COOKIE":0,"C-ECHOED":0,` +
			`"S-SENT":0,"S-RECEIVED":0,"S-ACK-SENT":0,"REJECTED":0,"CLOSED":0}}`,
		"/api/v1/counters": `{"totals":{},"workers":[]}`,
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var a, e any
		json.Unmarshal(b, &a)
		json.Unmarshal([]byte(want), &e)
		if !reflect.DeepEqual(a, e) {
			t.Errorf("%s: %s, want %s", path, b, want)
		}
	}
	if resp, err := srv.Client().Get(srv.URL + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Errorf("/metrics without a handler: %v %v", resp.StatusCode, err)
	}
}

// TestRatesAreTheModels: the API's rates are the model's estimator, the
// numbers `xlvsadm -L --rate` prints, and -Z restarts them there and here.
func TestRatesAreTheModels(t *testing.T) {
	w := newWorld(t)
	zero := func() {
		t.Helper()
		if resp := w.m.Do(&api.Request{Op: api.OpZero, Service: &api.Service{Key: key80}}); resp.Err != nil {
			t.Fatal(resp.Err)
		}
	}
	// The estimator counts from here.
	zero()
	for range 2 { // 20 connections/s, 200 packets/s, 4000 bytes/s to .11
		w.add(t, key80, "198.18.0.11:80", engine.DestStats{Conns: 40, InPkts: 400, InBytes: 8000})
		w.m.Estimate()
	}
	var one httpapi.Service
	getJSON(t, w, "/api/v1/services/tcp/198.18.0.100/80", &one)
	// ip_vs_est.c by hand: cps avg = (40<<9)>>2 = 5120, then
	// 5120 + (20480-5120)>>2 = 8960 → (8960+511)>>10 = 9; pps 89600 →
	// (89600+511)>>10 = 87 (87.5: the kernel adds 0x1FF, one short of a
	// half); bps (8000<<4)>>2 = 32000, 32000 + 24000 = 56000 →
	// (56000+15)>>5 = 1750.
	want := httpapi.Rates{CPS: 9, InPPS: 87, InBPS: 1750}
	if one.Rates != want || one.RealServers[1].Rates != want || one.RealServers[0].Rates != (httpapi.Rates{}) {
		t.Errorf("rates: service %+v, real servers %+v %+v; want %+v for the service and .11", one.Rates,
			one.RealServers[1].Rates, one.RealServers[0].Rates, want)
	}
	listed := w.m.Do(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: key80}}).Services[0]
	if r := (httpapi.Rates{CPS: listed.Stats.CPS, InPPS: listed.Stats.InPPS, OutPPS: listed.Stats.OutPPS,
		InBPS: listed.Stats.InBPS, OutBPS: listed.Stats.OutBPS}); r != one.Rates {
		t.Errorf("API rates %+v, the listing's %+v", one.Rates, r)
	}
	if one.Stats.Connections != 80 {
		t.Errorf("service connections %d since -Z, want 80", one.Stats.Connections)
	}

	zero()
	getJSON(t, w, "/api/v1/services/tcp/198.18.0.100/80", &one)
	if one.Rates != (httpapi.Rates{}) || one.Stats != (httpapi.Stats{}) || one.RealServers[1].Stats != (httpapi.Stats{}) {
		t.Errorf("after -Z: %+v / %+v, want zeros", one, one.RealServers[1])
	}
	var other httpapi.Service
	if getJSON(t, w, "/api/v1/services/tcp/fd00:18::100/443", &other); other.Stats.Connections != 4 {
		t.Errorf("-Z of one service zeroed another: %+v", other.Stats)
	}
}

// allStates is the by_state map of the summary: every IPVS state name of
// TCP, UDP and SCTP (SCTP's ESTABLISHED counts with TCP's), zero unless
// given.
func allStates(counts map[string]uint64) map[string]uint64 {
	m := map[string]uint64{}
	for _, n := range []string{"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE",
		"CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK", "UDP", "INIT1", "INIT", "C-SENT", "C-REPLIED", "C-WAIT",
		"COOKIE", "C-ECHOED", "S-SENT", "S-RECEIVED", "S-ACK-SENT", "REJECTED", "CLOSED"} {
		m[n] = counts[n]
	}
	return m
}
