package model_test

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
)

// recSync records what the model asks of the daemons; interface eth0 has
// MTU 1500 and jumbo MTU 9000.
type recSync struct {
	started []api.Daemon
	stopped []string
}

func (r *recSync) DeviceMTU(name string) (int, error) {
	switch name {
	case "eth0":
		return 1500, nil
	case "jumbo":
		return 9000, nil
	}
	return 0, api.NewError(api.CodeNoDevice, "no "+name)
}
func (r *recSync) StartDaemon(d api.Daemon) error { r.started = append(r.started, d); return nil }
func (r *recSync) StopDaemon(s string) error      { r.stopped = append(r.stopped, s); return nil }

func daemonReq(op api.Op, d api.Daemon) *api.Request { return &api.Request{Op: op, Daemon: &d} }

// The kernel's defaults and clamps, its refusals and their order.
func TestSyncDaemonDefaultsAndRefusals(t *testing.T) {
	rs := &recSync{}
	m := model.New(model.Config{Sync: rs})
	g6 := netip.MustParseAddr("ff02::8:81")
	steps := []struct {
		req  *api.Request
		code api.Code
	}{
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "nonexist0"}), api.CodeNoDevice},
		{daemonReq(api.OpStopDaemon, api.Daemon{State: "backup"}), api.CodeNoService},
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "eth0", SyncID: 5}), api.CodeOK},
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "eth0"}), api.CodeExists},
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "nonexist0"}), api.CodeNoDevice},
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "backup", McastIfn: "jumbo", SyncMaxLen: 100, McastGroup: g6, McastPort: 9000, McastTTL: 3}), api.CodeOK},
		{daemonReq(api.OpStartDaemon, api.Daemon{State: "both", McastIfn: "eth0"}), api.CodeInvalid},
	}
	for i, st := range steps {
		resp := m.Do(st.req)
		if got := api.CodeOf(respErr(resp)); got != st.code {
			t.Fatalf("step %d %s %+v: code %d, want %d (%v)", i, st.req.Op, *st.req.Daemon, got, st.code, resp.Err)
		}
	}
	want := []api.Daemon{
		{State: "master", McastIfn: "eth0", SyncID: 5, SyncMaxLen: 1472, McastGroup: netip.MustParseAddr("224.0.0.81"), McastPort: 8848, McastTTL: 1},
		{State: "backup", McastIfn: "jumbo", SyncMaxLen: 1024, McastGroup: g6, McastPort: 9000, McastTTL: 3},
	}
	resp := m.Do(&api.Request{Op: api.OpGetDaemons})
	if len(resp.Daemons) != 2 || resp.Daemons[0] != want[0] || resp.Daemons[1] != want[1] {
		t.Fatalf("listed %+v\nwant %+v", resp.Daemons, want)
	}
	if len(rs.started) != 2 || rs.started[1] != want[1] {
		t.Fatalf("started %+v", rs.started)
	}
	// A backup's default is its MTU (at least 1500) minus the headers.
	m.Do(daemonReq(api.OpStopDaemon, api.Daemon{State: "backup"}))
	m.Do(daemonReq(api.OpStartDaemon, api.Daemon{State: "backup", McastIfn: "jumbo"}))
	if d := m.Do(&api.Request{Op: api.OpGetDaemons}).Daemons; len(d) != 2 || d[1].SyncMaxLen != 9000-28 {
		t.Fatalf("backup on MTU 9000: %+v", d)
	}
	if len(rs.stopped) != 1 || rs.stopped[0] != "backup" {
		t.Fatalf("stopped %v", rs.stopped)
	}
}

// Without daemons wired in, the model refuses with a message.
func TestSyncDaemonWithoutDaemons(t *testing.T) {
	m := model.New(model.Config{})
	resp := m.Do(daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "eth0"}))
	if api.CodeOf(respErr(resp)) != api.CodeUnsupported {
		t.Fatalf("%+v", resp.Err)
	}
}

// A service with a real server of the other family keeps daemons from
// starting (ip_vs_genl_new_daemon).
func TestSyncDaemonRefusedWithMixedFamilies(t *testing.T) {
	m := model.New(model.Config{Sync: &recSync{}})
	svc := &api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("198.18.0.100"), Port: 80}, Scheduler: "rr"}
	if r := m.Do(&api.Request{Op: api.OpAddService, Service: svc}); r.Err != nil {
		t.Fatal(r.Err)
	}
	d := &api.Dest{Addr: netip.MustParseAddr("fd00::11"), Port: 80, Method: api.MethodTunnel, Weight: 1}
	if r := m.Do(&api.Request{Op: api.OpAddDest, Service: svc, Dest: d}); r.Err != nil {
		t.Fatal(r.Err)
	}
	resp := m.Do(daemonReq(api.OpStartDaemon, api.Daemon{State: "master", McastIfn: "eth0"}))
	if api.CodeOf(respErr(resp)) != api.CodeInvalid {
		t.Fatalf("%+v", resp.Err)
	}
}

func respErr(r *api.Response) error {
	if r.Err == nil {
		return nil
	}
	return r.Err
}
