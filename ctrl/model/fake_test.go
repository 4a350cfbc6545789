package model_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// fakeNextHops is an in-memory resolver: Lookup answers from a map the test
// fills, Watch records what the model asked to watch.
type fakeNextHops struct {
	mu      sync.Mutex
	hops    map[netip.Addr]netinfo.NextHop
	watched []netip.Addr // the last Watch call's addresses
	watches int          // number of Watch calls
}

func newFakeNextHops() *fakeNextHops {
	return &fakeNextHops{hops: map[netip.Addr]netinfo.NextHop{}}
}

func (f *fakeNextHops) Watch(addrs []netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watched = slices.Clone(addrs)
	f.watches++
}

func (f *fakeNextHops) Lookup(a netip.Addr) (netinfo.NextHop, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	nh, ok := f.hops[a]
	return nh, ok
}

func (f *fakeNextHops) set(a string, nh netinfo.NextHop) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hops[netip.MustParseAddr(a)] = nh
}

// lastWatch returns the last watched addresses, sorted.
func (f *fakeNextHops) lastWatch() []netip.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := slices.Clone(f.watched)
	slices.SortFunc(w, netip.Addr.Compare)
	return w
}

// harness is a model wired to fakes, keeping every published snapshot.
type harness struct {
	t     *testing.T
	m     *model.Model
	nh    *fakeNextHops
	st    *fakedp.Plane
	mu    sync.Mutex
	snaps []*snapshot.Snapshot
}

// testLinks are the interfaces the dataplane of the harness serves.
var testLinks = []snapshot.Link{
	{IfIndex: 5, MAC: [6]byte{0x02, 0, 0, 0, 0, 5}},
	{IfIndex: 7, MAC: [6]byte{0x02, 0, 0, 0, 0, 7}},
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, nh: newFakeNextHops(), st: fakedp.New()}
	h.m = model.New(model.Config{
		Links:       testLinks,
		NextHops:    h.nh,
		Stats:       h.st,
		Conns:       h.st,
		Publish:     h.publish,
		ConnTabSize: 4096,
	})
	return h
}

func (h *harness) publish(s *snapshot.Snapshot) {
	h.st.Publish(s)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snaps = append(h.snaps, s)
}

// last returns the last published snapshot.
func (h *harness) last() *snapshot.Snapshot {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.snaps) == 0 {
		h.t.Fatal("no snapshot published")
	}
	return h.snaps[len(h.snaps)-1]
}

func (h *harness) published() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.snaps)
}

// ok runs req and fails the test if it is refused.
func (h *harness) ok(req *api.Request) *api.Response {
	h.t.Helper()
	resp := h.m.Do(req)
	if resp == nil {
		h.t.Fatalf("%s: nil response", req.Op)
	}
	if resp.Err != nil {
		h.t.Fatalf("%s: refused: code %d %q", describe(req), resp.Err.C, resp.Err.Msg)
	}
	return resp
}

// list returns the services as OpListService lists them.
func (h *harness) list() []api.Service {
	h.t.Helper()
	return h.ok(&api.Request{Op: api.OpListService}).Services
}

// state is what a refused request must leave alone.
type state struct {
	list      []api.Service
	snap      *snapshot.Snapshot
	published int
}

func (h *harness) state() state {
	return state{list: h.list(), snap: h.last(), published: h.published()}
}

// refused runs req, checks that it fails with code and msg (msg "" checks
// only that there is one) and that neither the listing nor the published
// snapshot changed.
func (h *harness) refused(req *api.Request, code api.Code, msg string) {
	h.t.Helper()
	before := h.state()
	resp := h.m.Do(req)
	switch {
	case resp == nil:
		h.t.Errorf("%s: nil response", req.Op)
	case resp.Err == nil:
		h.t.Errorf("%s: accepted, want code %d %q", describe(req), code, msg)
	case resp.Err.C != code || (msg != "" && resp.Err.Msg != msg) || resp.Err.Msg == "":
		h.t.Errorf("%s: error code %d %q, want code %d %q", describe(req), resp.Err.C, resp.Err.Msg, code, msg)
	}
	after := h.state()
	if after.published != before.published || after.snap != before.snap {
		h.t.Errorf("%s refused but a new snapshot was published", req.Op)
	}
	if !reflect.DeepEqual(after.list, before.list) {
		h.t.Errorf("%s refused but the listing changed:\nbefore %+v\nafter  %+v", req.Op, before.list, after.list)
	}
}

// describe names a request in failure messages.
func describe(r *api.Request) string {
	s := string(r.Op)
	if r.Service != nil {
		s += fmt.Sprintf(" service{%v sched %q flags %#x pe %q mask %#x}", r.Service.Key, r.Service.Scheduler, r.Service.Flags, r.Service.PE, r.Service.Netmask)
	}
	if r.Dest != nil {
		s += fmt.Sprintf(" dest{%v port %d method %d weight %d x %d y %d}", r.Dest.Addr, r.Dest.Port, r.Dest.Method, r.Dest.Weight, r.Dest.UThreshold, r.Dest.LThreshold)
	}
	return s
}

func tcp(addr string, port uint16) api.ServiceKey {
	return api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr(addr), Port: port}
}

func udp(addr string, port uint16) api.ServiceKey {
	return api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr(addr), Port: port}
}

func svcReq(op api.Op, k api.ServiceKey, sched string) *api.Request {
	return &api.Request{Op: op, Service: &api.Service{Key: k, Scheduler: sched}}
}

func dr(addr string, port uint16, weight int32) *api.Dest {
	return &api.Dest{Addr: netip.MustParseAddr(addr), Port: port, Method: api.MethodRoute, Weight: weight}
}

func destReq(op api.Op, k api.ServiceKey, d *api.Dest) *api.Request {
	return &api.Request{Op: op, Service: &api.Service{Key: k}, Dest: d}
}

// find returns the listed service with key k.
func find(svcs []api.Service, k api.ServiceKey) (api.Service, bool) {
	for _, s := range svcs {
		if s.Key.Protocol == k.Protocol && s.Key.Addr == k.Addr && s.Key.Port == k.Port {
			return s, true
		}
	}
	return api.Service{}, false
}

// snapService finds a service of a snapshot by key through Lookup.
func snapService(t *testing.T, s *snapshot.Snapshot, k api.ServiceKey) *snapshot.Service {
	t.Helper()
	a := k.Addr.As16()
	svc := s.Lookup(uint8(k.Protocol), &a, k.Port)
	if svc == nil || svc.Port != k.Port {
		t.Fatalf("snapshot %d has no service %v", s.Gen, k)
	}
	return svc
}

// destSlot returns the slot of the live destination addr:port of service k
// in snapshot s.
func destSlot(t *testing.T, s *snapshot.Snapshot, k api.ServiceKey, addr string, port uint16) uint32 {
	t.Helper()
	a := netip.MustParseAddr(addr).As16()
	for _, id := range snapService(t, s, k).Dests {
		if d := s.Dests[id]; d.Addr == a && d.Port == port {
			return id
		}
	}
	t.Fatalf("snapshot %d: service %v has no destination %s:%d", s.Gen, k, addr, port)
	return 0
}
