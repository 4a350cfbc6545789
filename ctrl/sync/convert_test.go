package sync

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

func sc(client, vip, rs string) engine.SyncConn {
	c := engine.SyncConn{Client: netip.MustParseAddr(client).As16(), Virtual: netip.MustParseAddr(vip).As16(),
		Dest: netip.MustParseAddr(rs).As16(), CPort: 1234, VPort: 80, DPort: 80, Proto: 6, Family: 4,
		State: conntrack.StateEstablished, Method: snapshot.MethodRoute, Timeout: 900}
	if netip.MustParseAddr(client).Is6() {
		c.Family = 6
	}
	return c
}

// The flags and states a kernel connection would carry, and back.
func TestWireConversion(t *testing.T) {
	tmpl := sc("198.19.0.0", "198.18.0.100", "198.18.0.11")
	tmpl.Flags, tmpl.State, tmpl.CPort, tmpl.Timeout = conntrack.FlagTemplate, conntrack.StateNone, 0, 360
	udp := sc("198.19.0.7", "198.18.0.100", "198.18.0.11")
	udp.Proto, udp.State, udp.Method = 17, conntrack.StateUDP, snapshot.MethodTunnel
	nat := sc("fd00:19::7", "fd00:18::100", "fd00:18:1::11")
	nat.Method, nat.State = snapshot.MethodMasq, conntrack.StateFinWait
	for _, tc := range []struct {
		name  string
		in    engine.SyncConn
		flags uint32
		state uint16
	}{
		{"dr established", sc("198.19.0.7", "198.18.0.100", "198.18.0.11"), FlagDRoute | FlagNoOutput, 1},
		{"template", tmpl, FlagTemplate | FlagInactive | FlagDRoute | FlagNoOutput, 0},
		{"udp tunnel", udp, FlagTunnel | FlagNoOutput | FlagInactive, 0},
		{"nat fin_wait ipv6", nat, FlagMasq | FlagInactive, 4},
	} {
		var c Conn
		if !toWire(&tc.in, &c) || c.Flags != tc.flags || c.State != tc.state {
			t.Errorf("%s: flags %#x state %d, want %#x %d", tc.name, c.Flags, c.State, tc.flags, tc.state)
			continue
		}
		var back engine.SyncConn
		if why := fromWire(&c, &back); why != "" || back != tc.in {
			t.Errorf("%s: back %q %+v\nwant %+v", tc.name, why, back, tc.in)
		}
	}
	mixed := sc("198.19.0.7", "198.18.0.100", "198.18.0.11")
	mixed.Dest = netip.MustParseAddr("fd00::11").As16()
	fnat := sc("198.19.0.7", "198.18.0.100", "198.18.0.11")
	fnat.Method = snapshot.MethodFullNAT
	for _, e := range []engine.SyncConn{mixed, fnat} {
		var c Conn
		if toWire(&e, &c) {
			t.Errorf("%+v: encoded", e)
		}
	}
	base := Conn{Protocol: 6, Client: netip.MustParseAddr("198.19.0.7"), Virtual: netip.MustParseAddr("198.18.0.100"), Dest: netip.MustParseAddr("198.18.0.11")}
	for _, tc := range []struct {
		edit func(c *Conn)
		why  string
	}{
		{func(c *Conn) { c.State = 11 }, skipState},
		{func(c *Conn) { c.Protocol, c.State = 17, 2 }, skipState},
		{func(c *Conn) { c.Protocol = 50 }, skipProto}, // ESP
		{func(c *Conn) { c.PEData, c.PEName = []byte("x"), "sip" }, skipPE},
		{func(c *Conn) { c.Flags = FlagOnePacket }, skipOneShot},
		{func(c *Conn) { c.Flags, c.State = FlagTemplate, 1 }, ""}, // template state forced to 0
	} {
		c := base
		tc.edit(&c)
		var e engine.SyncConn
		if why := fromWire(&c, &e); why != tc.why {
			t.Errorf("%+v: %q, want %q", c, why, tc.why)
		}
	}
}
