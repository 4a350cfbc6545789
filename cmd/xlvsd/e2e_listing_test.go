package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/xlvs/xlvs/ctrl/httpapi"
)

// The HTTP API and the metrics show what xlvsadm shows: these checks
// compare them on a running director after real traffic.

// checkByState compares by_state of /api/v1/connections/summary with the
// states of `xlvsadm -L -n -c` (both read while nothing moves; an entry
// that expires between the two reads makes the loop read them again).
func (h *harness) checkByState() {
	t := h.t
	t.Helper()
	waitFor(t, 10*time.Second, func() (bool, string) {
		var sum httpapi.Summary
		_, _, body := h.httpGet(http.MethodGet, "/api/v1/connections/summary")
		if err := json.Unmarshal([]byte(body), &sum); err != nil {
			return false, fmt.Sprintf("summary %v: %s", err, body)
		}
		listed := map[string]uint64{}
		for _, line := range strings.Split(h.adm("-L", "-n", "-c"), "\n")[2:] {
			if f := strings.Fields(line); len(f) >= 6 {
				listed[f[2]]++
			}
		}
		var total uint64
		for state, n := range sum.ByState {
			total += n
			if n == 0 {
				delete(sum.ByState, state)
			}
		}
		if !maps.Equal(sum.ByState, listed) || total != sum.Entries || total == 0 {
			return false, fmt.Sprintf("by_state %v (total %d, entries %d), xlvsadm -L -n -c lists %v", sum.ByState, total, sum.Entries, listed)
		}
		return true, ""
	})
}

// rateColumns reads `xlvsadm -L -n --rate --exact -t vip4tcp`: the
// service's line and its real servers', each "CPS InPPS OutPPS InBPS
// OutBPS", keyed by address.
func (h *harness) rateColumns() map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(h.adm("-L", "-n", "--rate", "--exact", "-t", vip4tcp.String()), "\n") {
		if f := strings.Fields(line); len(f) == 7 && f[0] != "Prot" {
			out[f[1]] = strings.Join(f[2:], " ")
		}
	}
	return out
}

// checkRates compares the API's rates of vip4tcp and its real servers
// with `xlvsadm -L -n --rate`.
func (h *harness) checkRates() {
	t := h.t
	t.Helper()
	waitFor(t, 10*time.Second, func() (bool, string) {
		before := h.rateColumns()
		var svc httpapi.Service
		_, _, body := h.httpGet(http.MethodGet, "/api/v1/services/tcp/198.18.0.100/80")
		if err := json.Unmarshal([]byte(body), &svc); err != nil {
			return false, fmt.Sprintf("service %v: %s", err, body)
		}
		if after := h.rateColumns(); !reflect.DeepEqual(before, after) {
			return false, "the estimator ticked between the reads" // read again
		}
		cols := func(r httpapi.Rates) string {
			return fmt.Sprintf("%d %d %d %d %d", r.CPS, r.InPPS, r.OutPPS, r.InBPS, r.OutBPS)
		}
		api := map[string]string{vip4tcp.String(): cols(svc.Rates)}
		for _, rs := range svc.RealServers {
			api[fmt.Sprintf("%s:%d", rs.Address, rs.Port)] = cols(rs.Rates)
		}
		return reflect.DeepEqual(api, before), fmt.Sprintf("API rates %v, xlvsadm --rate %v", api, before)
	})
}

// checkZero runs -Z of one service, then of everything, and checks the
// series against the kernel's semantics: node_exporter's totals
// (/proc/net/ip_vs_stats) keep counting through -Z of one service and are
// zeroed by -Z of everything; the per-real-server counters follow
// `xlvsadm -L -n --stats`.
func (h *harness) checkZero() {
	t := h.t
	t.Helper()
	totals := func() map[string]float64 {
		out := map[string]float64{}
		for k, v := range series(h.scrape(), "node_ipvs_") {
			if strings.HasSuffix(k, "_total{}") {
				out[k] = v
			}
		}
		return out
	}
	before := totals()
	h.adm("-Z", "-t", vip4tcp.String())
	if got := totals(); !reflect.DeepEqual(got, before) {
		t.Errorf("node_ipvs totals after -Z of one service: %v, want them unchanged %v", got, before)
	}
	xs := series(h.scrape(), "xlvs_backend_connections_total")
	for _, rs := range []string{"198.18.0.11", "198.18.0.12"} {
		k := "xlvs_backend_connections_total{local_address=198.18.0.100,local_mark=,local_port=80,proto=TCP,remote_address=" + rs + ",remote_port=80}"
		if v, ok := xs[k]; !ok || v != 0 {
			t.Errorf("%s after -Z: %v (present %v), want 0 as xlvsadm -L --stats shows", k, v, ok)
		}
	}
	h.adm("-Z")
	var got, want map[string]float64
	waitFor(t, 10*time.Second, func() (bool, string) {
		got, want = series(h.scrape(), "node_ipvs_"), h.expectedNodeSeries()
		return reflect.DeepEqual(got, want) && got["node_ipvs_connections_total{}"] == 0,
			fmt.Sprintf("node_ipvs_* after -Z of everything\n%v\nwant zero totals and\n%v", got, want)
	})
}
