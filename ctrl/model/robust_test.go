package model_test

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/internal/fakedp"
)

func TestGarbageRequests(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "rr"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))

	if resp := h.m.Do(nil); resp == nil || resp.Err == nil || resp.Err.C != api.CodeInvalid {
		t.Errorf("nil request: %+v", resp)
	}
	garbage := []*api.Request{
		{},
		{Op: "no-such-op"},
		{Op: api.OpGetService},
		{Op: api.OpAddService},
		{Op: api.OpEditService},
		{Op: api.OpDelService},
		{Op: api.OpAddDest},
		{Op: api.OpEditDest},
		{Op: api.OpDelDest},
		{Op: api.OpAddDest, Service: &api.Service{}},
		{Op: api.OpEditDest, Service: &api.Service{Key: k}},
		{Op: api.OpDelDest, Service: &api.Service{Key: k}, Dest: &api.Dest{}},
		{Op: api.OpAddService, Service: &api.Service{}},
		{Op: api.OpAddService, Service: &api.Service{Key: api.ServiceKey{Protocol: 0xffff, Port: 0xffff}, Netmask: 0xffffffff, Scheduler: "\x00"}},
		{Op: api.OpAddDest, Service: &api.Service{Key: k}, Dest: &api.Dest{Addr: netip.MustParseAddr("198.18.1.2"), Method: 255, Weight: -1 << 31}},
		{Op: api.OpSetTimeouts},
		{Op: api.OpZero, Service: &api.Service{}},
	}
	for _, r := range garbage {
		before := h.state()
		resp := h.m.Do(r)
		if resp == nil || resp.Err == nil || resp.Err.Msg == "" {
			t.Errorf("%+v: %+v, want an error with a message", r, resp)
			continue
		}
		if after := h.state(); after.published != before.published {
			t.Errorf("%+v refused but published a snapshot", r)
		}
	}
	if l := h.list(); len(l) != 1 || len(l[0].Dests) != 1 {
		t.Errorf("garbage changed the configuration: %+v", l)
	}
}

// FuzzDo feeds decoded JSON requests to a model: it must answer every one
// without panicking, and keep a listing that only has valid services.
func FuzzDo(f *testing.F) {
	for _, s := range []string{
		`{"op":"add-service","service":{"key":{"protocol":6,"addr":"198.18.0.1","port":80},"scheduler":"rr"}}`,
		`{"op":"add-dest","service":{"key":{"protocol":6,"addr":"198.18.0.1","port":80}},"dest":{"addr":"198.18.1.1","port":80,"method":3,"weight":1}}`,
		`{"op":"del-dest","service":{"key":{"protocol":6,"addr":"198.18.0.1","port":80}},"dest":{"addr":"198.18.1.1","port":80}}`,
		`{"op":"edit-service","service":{"key":{"protocol":17,"addr":"2001:db8::1","port":53},"netmask":200}}`,
		`{"op":"add-service","service":{"key":{"protocol":6,"addr":"::ffff:198.18.0.1","fwmark":1}}}`,
		`{"op":"flush"}`,
		`{"op":"get-service"}`,
		`{}`,
	} {
		f.Add(s)
	}
	m := model.New(model.Config{Stats: fakedp.New(), NextHops: newFakeNextHops()})
	f.Fuzz(func(t *testing.T, line string) {
		var req api.Request
		if json.Unmarshal([]byte(line), &req) != nil {
			return
		}
		if resp := m.Do(&req); resp == nil {
			t.Fatal("nil response")
		}
		for _, s := range m.Do(&api.Request{Op: api.OpListService}).Services {
			fwmark := s.Key.FWMark != 0 && s.Key.Protocol == 0 && s.Key.Addr.IsUnspecified()
			if !s.Key.Addr.IsValid() || s.Scheduler == "" || (!fwmark && s.Key.Protocol != api.ProtoTCP && s.Key.Protocol != api.ProtoUDP) {
				t.Fatalf("invalid service listed after %s: %+v", line, s)
			}
		}
	})
}

// TestConcurrentUse runs requests, listings and refreshes from several
// goroutines; with -race it checks the model's locking.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := tcp("198.18.0."+strconv.Itoa(g+1), 80)
			for i := range 50 {
				h.m.Do(svcReq(api.OpAddService, k, "rr"))
				h.m.Do(destReq(api.OpAddDest, k, dr("198.18.1."+strconv.Itoa(i%10+1), 80, 1)))
				h.m.Do(&api.Request{Op: api.OpListService})
				if i%7 == 0 {
					h.m.Refresh()
				}
				if i%10 == 9 {
					h.m.Do(svcReq(api.OpDelService, k, ""))
				}
			}
		}()
	}
	wg.Wait()
	// Every goroutine deleted its service after its last batch of ten.
	if l := h.list(); len(l) != 0 {
		t.Errorf("%d services left", len(l))
	}
}
