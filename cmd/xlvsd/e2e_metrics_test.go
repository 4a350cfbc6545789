package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/xlvs/xlvs/ctrl/httpapi"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// metricsAddr is where the e2e director serves metrics: its own address
// on the lab's LAN, reached from inside its namespace.
const metricsAddr = "198.18.0.1:9100"

// httpGet fetches path from the director's metrics listener, dialling from
// inside the director namespace.
func (h *harness) httpGet(method, path string) (int, http.Header, string) {
	t := h.t
	t.Helper()
	client := &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return h.dr.Director.DialTCP(ctx, addr)
			},
			DisableKeepAlives: true,
		},
	}
	req, err := http.NewRequest(method, "http://"+metricsAddr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// scrape parses /metrics with the Prometheus text parser.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	code, _, body := h.httpGet(http.MethodGet, "/metrics")
	if code != http.StatusOK {
		h.t.Fatalf("GET /metrics: %d\n%s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return mfs
}

// series flattens the families named by prefix to "name{l=v,...}" -> value
// with labels in the exposition's (sorted) order.
func series(mfs map[string]*dto.MetricFamily, prefix string) map[string]float64 {
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
			out[name+"{"+strings.Join(ls, ",")+"}"] = v
		}
	}
	return out
}

// expectedNodeSeries builds the node_ipvs_* series node_exporter would
// report for the director, from `xlvsadm -L -n` (weights, ActiveConn,
// InActConn) and `xlvsadm -L -n --stats --exact` (totals = sums of the
// services' counters: nothing was deleted).
func (h *harness) expectedNodeSeries() map[string]float64 {
	want := map[string]float64{}
	var svc []string // proto, address, port of the current service
	for _, line := range strings.Split(h.adm("-L", "-n"), "\n")[3:] {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && (f[0] == "TCP" || f[0] == "UDP"):
			svc = append([]string{f[0]}, splitHostPort(h.t, f[1])...)
		case len(f) == 6 && f[0] == "->":
			rs := splitHostPort(h.t, f[1])
			l := fmt.Sprintf("{local_address=%s,local_mark=,local_port=%s,proto=%s,remote_address=%s,remote_port=%s}", svc[1], svc[2], svc[0], rs[0], rs[1])
			want["node_ipvs_backend_weight"+l] = atof(h.t, f[3])
			want["node_ipvs_backend_connections_active"+l] = atof(h.t, f[4])
			want["node_ipvs_backend_connections_inactive"+l] = atof(h.t, f[5])
		}
	}
	names := []string{"node_ipvs_connections_total{}", "node_ipvs_incoming_packets_total{}", "node_ipvs_outgoing_packets_total{}",
		"node_ipvs_incoming_bytes_total{}", "node_ipvs_outgoing_bytes_total{}"}
	for _, n := range names {
		want[n] = 0
	}
	for _, line := range strings.Split(h.adm("-L", "-n", "--stats", "--exact"), "\n")[3:] {
		f := strings.Fields(line)
		if len(f) == 7 && (f[0] == "TCP" || f[0] == "UDP") {
			for i, n := range names {
				want[n] += atof(h.t, f[2+i])
			}
		}
	}
	return want
}

func splitHostPort(t *testing.T, s string) []string {
	t.Helper()
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		t.Fatalf("listing address %q: %v", s, err)
	}
	return []string{host, port}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("listing number %q: %v", s, err)
	}
	return v
}

// TestMetricsRulesAndHTTPAPI runs xlvsd with a rules file, --save-rules
// and --metrics-addr: the file's services are there at start, changes made
// with xlvsadm are written back as `xlvsadm -S -n` prints them, after real
// traffic the node_ipvs_* series equal what `xlvsadm -L -n [--stats]`
// shows, the xlvs_* series add up to the control socket's counters, the
// HTTP API serves the same numbers read-only, and a restart from the saved
// file gives the same table and forwards again.
func TestMetricsRulesAndHTTPAPI(t *testing.T) {
	h := newHarness(t, "e2emet", labtraffic.DROptions{})
	rulesFile := filepath.Join(t.TempDir(), "rules")
	initial := "-A -t 198.18.0.100:80 -s rr\n" +
		"-a -t 198.18.0.100:80 -r 198.18.0.11:80 -g -w 1\n" +
		"-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 1\n"
	if err := os.WriteFile(rulesFile, []byte(initial), 0o644); err != nil {
		t.Fatal(err)
	}
	d := h.startDirector("--rules", rulesFile, "--save-rules", "--metrics-addr", metricsAddr)
	if got := h.adm("-S", "-n"); got != initial {
		t.Fatalf("xlvsadm -S -n after loading the rules:\n%s\nwant:\n%s", got, initial)
	}
	h.addService("-u", labtraffic.VIP4, labtraffic.UDPPort, "rr", 1, 3)
	h.addService("-t", labtraffic.VIP6, labtraffic.TCPPort, "wlc", 2)
	h.adm("-e", "-t", vip4tcp.String(), "-r", "198.18.0.12:80", "-g", "-w", "2")
	saved := h.adm("-S", "-n")
	if b, err := os.ReadFile(rulesFile); err != nil || string(b) != saved {
		t.Fatalf("rules file after the changes (%v):\n%s\nxlvsadm -S -n:\n%s", err, b, saved)
	}

	h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String(), vip6tcp.String()}, UDP: []string{vip4udp.String()},
		Conns: 6, Bytes: 4 << 10, Datagrams: 8})
	h.quiesce()

	// The series and the listings are read while nothing moves; a late
	// packet (a retransmission) makes the loop read them again.
	var got, want map[string]float64
	waitFor(t, 10*time.Second, func() (bool, string) {
		got = series(h.scrape(), "node_ipvs_")
		want = h.expectedNodeSeries()
		return reflect.DeepEqual(got, want), fmt.Sprintf("node_ipvs_* series\n%v\nwant (from xlvsadm -L -n [--stats])\n%v", got, want)
	})
	t.Logf("node_ipvs_* series: %v", got)
	if got["node_ipvs_connections_total{}"] < 6+6+1 || got["node_ipvs_incoming_packets_total{}"] == 0 {
		t.Errorf("totals after the traffic: %v", got)
	}
	if len(got) != 5+3*5 {
		t.Errorf("%d node_ipvs_* series, want 5 totals and 3 for each of the 5 real servers", len(got))
	}

	h.checkXlvsSeries()
	h.checkHTTPAPI()
	h.checkByState()
	h.checkRates()
	h.checkZero()

	// Restart from the saved file, without --save-rules: same table, and
	// the director forwards again.
	d.stop()
	h.startDirector("--rules", rulesFile)
	if got := h.adm("-S", "-n"); got != saved {
		t.Errorf("xlvsadm -S -n after a restart from the saved rules:\n%s\nwant:\n%s", got, saved)
	}
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 4, Bytes: 1 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 2, "rs2": 2})
}

// checkXlvsSeries compares xlvs' worker series with the control socket's
// counters and checks the XDP and conntrack series.
func (h *harness) checkXlvsSeries() {
	t := h.t
	t.Helper()
	var xs map[string]float64
	var c map[string]uint64
	sum := func(name string) (s float64) {
		for k, v := range xs {
			if strings.HasPrefix(k, name+"{") {
				s += v
			}
		}
		return s
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		xs = series(h.scrape(), "xlvs_")
		c = h.counters()
		for name, key := range map[string]string{
			"xlvs_worker_rx_packets_total": "rx-packets", "xlvs_worker_tx_packets_total": "tx-packets",
			"xlvs_worker_rx_bytes_total": "rx-bytes", "xlvs_worker_handoff_in_total": "handoff-in",
			"xlvs_worker_connections_created_total": "conns-created", "xlvs_conntrack_capacity": "conn-capacity",
			"xlvs_conntrack_entries": "conns",
		} {
			if sum(name) != float64(c[key]) {
				return false, fmt.Sprintf("%s sums to %v, get-counters %s=%d", name, sum(name), key, c[key])
			}
		}
		if x := xs["xlvs_xdp_packets_total{reason=steer-service-ipv4}"]; x != float64(c["xdp-steer-service-ipv4"]) || x == 0 {
			return false, fmt.Sprintf("xdp steer-service-ipv4 %v, get-counters %d", x, c["xdp-steer-service-ipv4"])
		}
		return true, ""
	})
	if sum("xlvs_worker_rx_packets_total") == 0 || sum("xlvs_worker_connections_created_total") < 13 {
		t.Errorf("worker series after the traffic: %v", xs)
	}
	if _, ok := xs["xlvs_worker_drops_total{reason=no-service,worker=0}"]; !ok {
		t.Errorf("no drop series for worker 0")
	}
}

// checkHTTPAPI reads the services, summary and counters from the HTTP API
// and checks them against xlvsadm and the metrics.
func (h *harness) checkHTTPAPI() {
	t := h.t
	t.Helper()
	code, hdr, body := h.httpGet(http.MethodGet, "/api/v1/services/tcp/198.18.0.100/80")
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET one service: %d %s", code, body)
	}
	var svc httpapi.Service
	if err := json.Unmarshal([]byte(body), &svc); err != nil {
		t.Fatal(err)
	}
	stats := strings.Fields(strings.Split(h.adm("-L", "-n", "--stats", "--exact", "-t", vip4tcp.String()), "\n")[2])
	if want := fmt.Sprintf("%d %d", svc.Stats.Connections, svc.Stats.InPackets); stats[0] != "TCP" || stats[2]+" "+stats[3] != want {
		t.Errorf("API service stats %+v, xlvsadm --stats line %v", svc.Stats, stats)
	}
	if svc.Scheduler != "rr" || len(svc.RealServers) != 2 || svc.RealServers[0].Health != httpapi.HealthUnknown {
		t.Errorf("API service: %+v", svc)
	}
	weights := map[string]int32{}
	for _, rs := range svc.RealServers {
		weights[rs.Address] = rs.Weight
	}
	if weights["198.18.0.11"] != 1 || weights["198.18.0.12"] != 2 {
		t.Errorf("API weights %v", weights)
	}
	var list httpapi.ServiceList
	if _, _, body := h.httpGet(http.MethodGet, "/api/v1/services"); json.Unmarshal([]byte(body), &list) != nil || len(list.Services) != 3 {
		t.Errorf("GET /api/v1/services: %s", body)
	}
	var sum httpapi.Summary
	if _, _, body := h.httpGet(http.MethodGet, "/api/v1/connections/summary"); json.Unmarshal([]byte(body), &sum) != nil ||
		len(sum.Workers) != 1 || sum.Capacity == 0 || sum.Entries == 0 || len(sum.Services) != 3 {
		t.Errorf("GET /api/v1/connections/summary: %s", body)
	}
	if code, hdr, _ := h.httpGet(http.MethodPost, "/api/v1/services"); code != http.StatusMethodNotAllowed || hdr.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /api/v1/services: %d, Allow %q", code, hdr.Get("Allow"))
	}
	if code, _, body := h.httpGet(http.MethodGet, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// TestRulesFileErrors starts xlvsd with a rules file that has a bad line:
// it exits 1 and names the file and line with ipvsadm's message.
func TestRulesFileErrors(t *testing.T) {
	h := newHarness(t, "e2erul", labtraffic.DROptions{RealServers: 1})
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"-A -t 198.18.0.100:80 -s rr\n-A -t 198.18.0.100:81 -s rr -p x\n", ":2: invalid timeout value `x' specified"},
		{"-A -t 198.18.0.100:80 -s rr\n-a -t 198.18.0.100:80 -r 198.18.0.11 -g\n-A -t 198.18.0.100:80 -s wlc\n", ":3: Service already exists"},
	} {
		file := filepath.Join(dir, "rules")
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(h.bin, "xlvsd"), "--interface", "eth0", "--socket", h.socket, "--rules", file)
		var out syncbuf.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := h.dr.Director.Start(cmd); err != nil {
			cancel()
			t.Fatal(err)
		}
		err := cmd.Wait()
		cancel()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(out.String(), file+c.want) {
			t.Errorf("xlvsd with a bad rules file: %v, exit %d, output:\n%s\nwant exit 1 and %q", err, code, out.String(), file+c.want)
		}
		if _, err := os.Stat(h.socket); err == nil {
			t.Errorf("control socket left behind after a failed start")
		}
	}
	// A missing file is an error without --save-rules.
	cmd := exec.Command(filepath.Join(h.bin, "xlvsd"), "--interface", "eth0", "--socket", h.socket, "--rules", filepath.Join(dir, "none"))
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := h.dr.Director.Start(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(out.String(), "no such file or directory") {
		t.Errorf("xlvsd with a missing rules file: exit %d\n%s", cmd.ProcessState.ExitCode(), out.String())
	}
}
