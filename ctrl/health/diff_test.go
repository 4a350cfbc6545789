package health

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

func svc(port uint16, sched string, dests ...api.Dest) api.Service {
	return api.Service{Key: tcpKey(port), Scheduler: sched, Dests: dests}
}

func dst(addr string, w int32) api.Dest {
	ap := netip.MustParseAddrPort(addr)
	return api.Dest{Addr: ap.Addr(), Port: ap.Port(), Method: api.MethodRoute, Weight: w}
}

func reqStrings(reqs []*api.Request) []string {
	var out []string
	for _, q := range reqs {
		out = append(out, reqString(q))
	}
	return out
}

func TestDiff(t *testing.T) {
	a1, a2, a3 := dst("10.0.0.1:80", 1), dst("10.0.0.2:80", 1), dst("10.0.0.3:80", 1)
	a2w5 := a2
	a2w5.Weight = 5
	a2nat := a2
	a2nat.Method = api.MethodMasq
	persistent := svc(80, "rr", a1)
	persistent.Flags, persistent.Timeout = api.SvcPersistent, 360
	for _, tc := range []struct {
		name     string
		old, new []api.Service
		want     []string
	}{
		{"nothing to nothing", nil, nil, nil},
		{"identical", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "rr", a1, a2)}, nil},
		{"dest order is irrelevant", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "rr", a2, a1)}, nil},
		{"counters are irrelevant",
			[]api.Service{{Key: tcpKey(80), Scheduler: "rr", Stats: api.Stats{Conns: 7}, Dests: []api.Dest{{Addr: a1.Addr, Port: 80, Weight: 1, ActiveConns: 3}}}},
			[]api.Service{svc(80, "rr", api.Dest{Addr: a1.Addr, Port: 80, Weight: 1})}, nil},
		{"add service with dests", nil, []api.Service{svc(80, "wlc", a1, a2)}, []string{
			"add-service tcp 198.18.0.100:80", "add-dest tcp 198.18.0.100:80 10.0.0.1:80 w=1", "add-dest tcp 198.18.0.100:80 10.0.0.2:80 w=1"}},
		{"delete service only, not its dests", []api.Service{svc(80, "rr", a1, a2), svc(81, "rr", a1)}, []api.Service{svc(81, "rr", a1)}, []string{
			"del-service tcp 198.18.0.100:80"}},
		{"scheduler change is one edit", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "wrr", a1, a2)}, []string{
			"edit-service tcp 198.18.0.100:80"}},
		{"persistence change is one edit", []api.Service{svc(80, "rr", a1)}, []api.Service{persistent}, []string{
			"edit-service tcp 198.18.0.100:80"}},
		{"weight change is one edit-dest", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "rr", a1, a2w5)}, []string{
			"edit-dest tcp 198.18.0.100:80 10.0.0.2:80 w=5"}},
		{"method change is one edit-dest", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "rr", a1, a2nat)}, []string{
			"edit-dest tcp 198.18.0.100:80 10.0.0.2:80 w=1"}},
		{"swap a dest: delete before add", []api.Service{svc(80, "rr", a1, a2)}, []api.Service{svc(80, "rr", a1, a3)}, []string{
			"del-dest tcp 198.18.0.100:80 10.0.0.2:80 w=1", "add-dest tcp 198.18.0.100:80 10.0.0.3:80 w=1"}},
		{"a port is part of the identity", []api.Service{svc(80, "rr", a1)}, []api.Service{svc(80, "rr", dst("10.0.0.1:8080", 1))}, []string{
			"del-dest tcp 198.18.0.100:80 10.0.0.1:80 w=1", "add-dest tcp 198.18.0.100:80 10.0.0.1:8080 w=1"}},
		{"duplicate dest in new is added once", nil, []api.Service{svc(80, "rr", a1, a1)}, []string{
			"add-service tcp 198.18.0.100:80", "add-dest tcp 198.18.0.100:80 10.0.0.1:80 w=1"}},
		{"deletions of services first", []api.Service{svc(81, "rr", a1)}, []api.Service{svc(82, "rr", a1)}, []string{
			"del-service tcp 198.18.0.100:81", "add-service tcp 198.18.0.100:82", "add-dest tcp 198.18.0.100:82 10.0.0.1:80 w=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reqStrings(Diff(tc.old, tc.new))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Diff:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestDiffRequestsCarryNoCounters checks that requests hold configuration
// only, so that applying them cannot be confused by stale counters.
func TestDiffRequestsCarryNoCounters(t *testing.T) {
	d := dst("10.0.0.1:80", 1)
	d.ActiveConns, d.Stats.Conns = 9, 9
	s := svc(80, "rr", d)
	s.Stats.Conns = 9
	for _, q := range Diff(nil, []api.Service{s}) {
		if q.Service.Stats != (api.Stats{}) || q.Service.Dests != nil {
			t.Errorf("%s: service carries %+v", q.Op, q.Service)
		}
		if q.Dest != nil && (q.Dest.ActiveConns != 0 || q.Dest.Stats != (api.Stats{})) {
			t.Errorf("%s: dest carries %+v", q.Op, q.Dest)
		}
	}
}

// TestDiffAppliesToModel applies a diff to the real model and checks it
// reaches the new configuration exactly.
func TestDiffAppliesToModel(t *testing.T) {
	r := newRecorder()
	old := []api.Service{svc(80, "rr", dst("10.0.0.1:80", 1), dst("10.0.0.2:80", 2)), svc(81, "rr", dst("10.0.0.1:81", 1))}
	new := []api.Service{svc(80, "wrr", dst("10.0.0.2:80", 3), dst("10.0.0.3:80", 1)), svc(82, "rr", dst("10.0.0.1:82", 1))}
	for _, step := range [][]*api.Request{Diff(nil, old), Diff(old, new)} {
		for _, q := range step {
			if resp := r.Do(q); resp.Err != nil {
				t.Fatalf("%s: %v", reqString(q), resp.Err)
			}
		}
	}
	if got := poolString(r.pool(tcpKey(80))); got != "10.0.0.2:80=3 10.0.0.3:80=1" {
		t.Errorf("service 80: %s", got)
	}
	if r.pool(tcpKey(81)) != nil {
		t.Errorf("service 81 still exists")
	}
	if got := poolString(r.pool(tcpKey(82))); got != "10.0.0.1:82=1" {
		t.Errorf("service 82: %s", got)
	}
}
