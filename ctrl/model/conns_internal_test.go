package model

import (
	"net/netip"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// TestRenderFwmarkTemplate: a persistence template of a firewall-mark
// service lists as the kernel prints it (golden/L_c_n.stdout):
// "IP  29:59  ASSURED     192.168.1.105:0    0.0.0.100:0        192.168.20.1:0".
func TestRenderFwmarkTemplate(t *testing.T) {
	fwm := &service{Service: api.Service{Key: api.ServiceKey{FWMark: 100, Addr: netip.IPv4Unspecified()}}, slot: 3}
	d := &dest{Dest: api.Dest{Addr: netip.MustParseAddr("192.168.20.1")}, slot: 7}
	ci := engine.ConnInfo{Proto: 6, Client: netip.MustParseAddr("192.168.1.105"), Virtual: netip.MustParseAddr("10.0.0.1"),
		VPort: 8080, Dest: 7, Service: 3, State: conntrack.StateEstablished, Expires: 1799 * time.Second, Flags: conntrack.FlagTemplate}
	got, ok := renderConn(&ci, map[uint32]*dest{7: d}, map[uint32]*service{3: fwm})
	want := api.Conn{Protocol: 0, Client: ci.Client, Virtual: netip.MustParseAddr("0.0.0.100"), Dest: d.Addr,
		State: "ASSURED", Expires: 1799, Template: true}
	if !ok || got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// A connection of the same service keeps its protocol and ports; the
	// port-0 real server takes the virtual port.
	ci.Flags, ci.CPort = 0, 33000
	got, _ = renderConn(&ci, map[uint32]*dest{7: d}, map[uint32]*service{3: fwm})
	if got.Protocol != 6 || got.Virtual != ci.Virtual || got.VPort != 8080 || got.DPort != 8080 || got.State != "ESTABLISHED" {
		t.Errorf("connection of an fwmark service: %+v", got)
	}
}
