package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// The world of the robustness tests (fuzz_test.go, exhaust_test.go): one
// configuration with every forwarding method, persistence, firewall
// marks, one-packet scheduling, SCTP, FULLNAT local addresses with TOA and
// PROXY v2, IPv4 and IPv6, on two-link memports (link 0 faces the
// clients, link 1 the real servers) whose frames carry AF_XDP's headroom.
var (
	vip4b  = netip.MustParseAddr("198.18.0.101") // firewall marks and a port-0 service
	vip6b  = netip.MustParseAddr("fd00:18::101")
	tunRS4 = netip.MustParseAddr("198.18.2.11")
	tunRS6 = netip.MustParseAddr("fd00:18:2::11")
	drRS6  = netip.MustParseAddr("fd00:18::11")
)

// World service and real-server slots, by what they exercise.
const (
	wsDR4, wsNATUDP4, wsPersistNAT4, wsIPIP4, wsGUE6, wsGRE4 = 0, 1, 2, 3, 4, 5
	wsFNTOA4, wsFNProxy4, wsFNProxyUDP4, wsOnePacket4        = 6, 7, 8, 9
	wsSCTPNAT4, wsSCTPDR6, wsNAT6, wsFNTOA6, wsIPIP6         = 10, 11, 12, 13, 14
	wsMark4, wsPort0NAT4, wsFNUDP6, wsMark6                  = 15, 16, 17, 18
)

// worldHeadroom is where received frames start in their UMEM frame, as
// XDP_PACKET_HEADROOM puts them.
const worldHeadroom = 256

// worldConfig returns the world's services, real servers, local
// addresses and mark rules. MTUs are low on the tunnel next hops so that
// ordinary frames meet the too-big path.
func worldConfig() ([]snapshot.Service, []snapshot.Dest, []snapshot.LocalAddr, []snapshot.MarkRule) {
	nh := func(mac [6]byte, src netip.Addr, mtu uint16) snapshot.NextHop {
		return snapshot.NextHop{Valid: true, Link: linkServer, SrcMAC: dirSMAC, DstMAC: mac, MTU: mtu, Src: src.As16()}
	}
	a := func(s string) [16]byte { return netip.MustParseAddr(s).As16() }
	fn := func(mode snapshot.ClientAddrMode, slots ...uint32) snapshot.ServiceFullNAT {
		return snapshot.ServiceFullNAT{Laddrs: slots, ClientAddr: mode}
	}
	svcs := []snapshot.Service{
		{ID: wsDR4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 80, Sched: "rr", Dests: []uint32{0, 1}},
		{ID: wsNATUDP4, Proto: protoUDP, Family: 4, Addr: vip4.As16(), Port: 53, Sched: "sh", Dests: []uint32{2}},
		{ID: wsPersistNAT4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 443, Sched: "wlc", Dests: []uint32{3, 4},
			Flags: snapshot.SvcPersistent, PersistTimeout: 300, Netmask: 0xffffff00},
		{ID: wsIPIP4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 8080, Sched: "rr", Dests: []uint32{5}},
		{ID: wsGUE6, Proto: protoUDP, Family: 4, Addr: vip4.As16(), Port: 4500, Sched: "rr", Dests: []uint32{6}},
		{ID: wsGRE4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 8000, Sched: "rr", Dests: []uint32{7}},
		{ID: wsFNTOA4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 9000, Sched: "rr", Dests: []uint32{8},
			FullNAT: fn(snapshot.ClientAddrTOA, 0, 1)},
		{ID: wsFNProxy4, Proto: protoTCP, Family: 4, Addr: vip4.As16(), Port: 9001, Sched: "rr", Dests: []uint32{9},
			FullNAT: fn(snapshot.ClientAddrProxyV2, 0)},
		{ID: wsFNProxyUDP4, Proto: protoUDP, Family: 4, Addr: vip4.As16(), Port: 9002, Sched: "rr", Dests: []uint32{10},
			FullNAT: fn(snapshot.ClientAddrProxyV2, 1)},
		{ID: wsOnePacket4, Proto: protoUDP, Family: 4, Addr: vip4.As16(), Port: 5000, Sched: "rr", Dests: []uint32{11, 12},
			Flags: snapshot.SvcOnePacket},
		{ID: wsSCTPNAT4, Proto: protoSCTP, Family: 4, Addr: vip4.As16(), Port: 3868, Sched: "rr", Dests: []uint32{13}},
		{ID: wsSCTPDR6, Proto: protoSCTP, Family: 6, Addr: vip6.As16(), Port: 3868, Sched: "rr", Dests: []uint32{14}},
		{ID: wsNAT6, Proto: protoTCP, Family: 6, Addr: vip6.As16(), Port: 80, Sched: "lc", Dests: []uint32{15}},
		{ID: wsFNTOA6, Proto: protoTCP, Family: 6, Addr: vip6.As16(), Port: 9000, Sched: "rr", Dests: []uint32{16},
			FullNAT: fn(snapshot.ClientAddrTOA, 2)},
		{ID: wsIPIP6, Proto: protoUDP, Family: 6, Addr: vip6.As16(), Port: 53, Sched: "rr", Dests: []uint32{17}},
		{ID: wsMark4, Family: 4, FWMark: 1, Sched: "rr", Dests: []uint32{18, 19},
			Flags: snapshot.SvcPersistent, PersistTimeout: 60, Netmask: 0xffffffff},
		{ID: wsPort0NAT4, Proto: protoTCP, Family: 4, Addr: vip4b.As16(), Port: 0, Sched: "rr", Dests: []uint32{20}},
		{ID: wsFNUDP6, Proto: protoUDP, Family: 6, Addr: vip6.As16(), Port: 5000, Sched: "rr", Dests: []uint32{21},
			FullNAT: fn(snapshot.ClientAddrNone, 2)},
		{ID: wsMark6, Family: 6, FWMark: 2, Sched: "mh", Dests: []uint32{22}, Flags: snapshot.SvcOnePacket},
	}
	r := snapshot.MethodRoute
	m := snapshot.MethodMasq
	tun := snapshot.MethodTunnel
	fnat := snapshot.MethodFullNAT
	dests := []snapshot.Dest{
		{ID: 0, Service: wsDR4, Addr: rs1.As16(), Port: 80, Method: r, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 1, Service: wsDR4, Addr: rs2.As16(), Port: 80, Method: r, NextHop: nh(rs2MAC, dirS4, 1500)},
		{ID: 2, Service: wsNATUDP4, Addr: natRS1.As16(), Port: 5353, Method: m, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 3, Service: wsPersistNAT4, Addr: natRS1.As16(), Port: 8443, Method: m, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 4, Service: wsPersistNAT4, Addr: natRS2.As16(), Port: 8443, Method: m, NextHop: nh(rs2MAC, dirS4, 1500)},
		{ID: 5, Service: wsIPIP4, Addr: tunRS4.As16(), Port: 8080, Method: tun, TunType: snapshot.TunIPIP, NextHop: nh(rs1MAC, dirS4, 600)},
		{ID: 6, Service: wsGUE6, Addr: tunRS6.As16(), Port: 4500, Method: tun, TunType: snapshot.TunGUE, TunPort: 6080,
			TunFlags: snapshot.TunFlagCsum, NextHop: nh(rs1MAC, dirS6, 700)},
		{ID: 7, Service: wsGRE4, Addr: tunRS4.As16(), Port: 8000, Method: tun, TunType: snapshot.TunGRE,
			TunFlags: snapshot.TunFlagCsum, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 8, Service: wsFNTOA4, Addr: natRS1.As16(), Port: 9000, Method: fnat, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 9, Service: wsFNProxy4, Addr: natRS2.As16(), Port: 9001, Method: fnat, NextHop: nh(rs2MAC, dirS4, 1500)},
		{ID: 10, Service: wsFNProxyUDP4, Addr: natRS1.As16(), Port: 9002, Method: fnat, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 11, Service: wsOnePacket4, Addr: natRS1.As16(), Port: 5000, Method: m, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 12, Service: wsOnePacket4, Addr: natRS2.As16(), Port: 5000, Method: m, NextHop: nh(rs2MAC, dirS4, 1500)},
		{ID: 13, Service: wsSCTPNAT4, Addr: natRS1.As16(), Port: 3869, Method: m, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 14, Service: wsSCTPDR6, Addr: drRS6.As16(), Port: 3868, Method: r, NextHop: nh(rs1MAC, dirS6, 1500)},
		{ID: 15, Service: wsNAT6, Addr: natRS6.As16(), Port: 8080, Method: m, NextHop: nh(rs1MAC, dirS6, 1500)},
		{ID: 16, Service: wsFNTOA6, Addr: natRS6.As16(), Port: 9000, Method: fnat, NextHop: nh(rs1MAC, dirS6, 1500)},
		{ID: 17, Service: wsIPIP6, Addr: a("fd00:18:2::12"), Port: 53, Method: tun, TunType: snapshot.TunIPIP, NextHop: nh(rs2MAC, dirS6, 1500)},
		{ID: 18, Service: wsMark4, Addr: rs1.As16(), Port: 0, Method: r, NextHop: nh(rs1MAC, dirS4, 1500)},
		{ID: 19, Service: wsMark4, Addr: rs2.As16(), Port: 0, Method: r, NextHop: snapshot.NextHop{}}, // unresolved
		{ID: 20, Service: wsPort0NAT4, Addr: natRS2.As16(), Port: 0, Method: m, NextHop: nh(rs2MAC, dirS4, 1500)},
		{ID: 21, Service: wsFNUDP6, Addr: natRS6.As16(), Port: 5000, Method: fnat, NextHop: nh(rs1MAC, dirS6, 1500)},
		{ID: 22, Service: wsMark6, Addr: a("fd00:18:1::13"), Port: 0, Method: m, NextHop: nh(rs2MAC, dirS6, 1500)},
	}
	for i := range dests {
		dests[i].Weight, dests[i].LastWeight, dests[i].Available = 1, 1, true
	}
	laddrs := []snapshot.LocalAddr{
		{ID: 0, Family: 4, Addr: lipA4.As16(), Link: linkServer, Available: true},
		{ID: 1, Family: 4, Addr: lipB4.As16(), Link: linkServer, Available: true},
		{ID: 2, Family: 6, Addr: lip6.As16(), Link: linkServer, Available: true},
	}
	p6 := netip.MustParsePrefix("fd00:18::101/128")
	marks := []snapshot.MarkRule{
		markRule4(1, 0, "198.18.0.101/32", 1000, 1999),
		{Mark: 2, Proto: protoUDP, Family: 6, Addr: p6.Addr().As16(), Bits: 128, PortFrom: 0, PortTo: 0xffff},
	}
	return svcs, dests, laddrs, marks
}

// world is an engine serving the world configuration.
type world struct {
	eng    *Engine
	ports  []*memport.Port
	frames int
	svcs   []snapshot.Service
	dests  []snapshot.Dest
	laddrs []snapshot.LocalAddr
	marks  []snapshot.MarkRule
	tmo    conntrack.Timeouts
	gen    uint64
}

// newWorld builds the world on workers workers with connection tables of
// conns entries and FULLNAT ports minPort..maxPort.
func newWorld(tb testing.TB, workers, frames, conns int, minPort, maxPort uint16) *world {
	w := &world{frames: frames, tmo: conntrack.DefaultTimeouts()}
	var ports []port.Port
	for i := 0; i < workers; i++ {
		p := memport.New(frames, 2048, 2)
		p.Headroom = worldHeadroom
		w.ports = append(w.ports, p)
		ports = append(ports, p)
	}
	cfg := DefaultConfig()
	cfg.ConnCapacity = conns
	cfg.ReplyCapacity = conns / 2
	cfg.HandoffSize = 64
	cfg.Seed = 7
	cfg.FullNATMinPort, cfg.FullNATMaxPort = minPort, maxPort
	eng, err := New(cfg, ports)
	if err != nil {
		tb.Fatal(err)
	}
	w.eng = eng
	w.svcs, w.dests, w.laddrs, w.marks = worldConfig()
	if err := w.publish(); err != nil {
		tb.Fatal(err)
	}
	return w
}

// publish builds and publishes a snapshot of the world's configuration.
func (w *world) publish() error {
	w.gen++
	s, err := snapshot.Build(w.gen, w.svcs, w.dests, w.tmo, w.marks...)
	if err == nil {
		err = s.SetLocalAddrs(w.laddrs)
	}
	if err != nil {
		return err
	}
	w.eng.Publish(s)
	return nil
}

// poll runs every worker until none has work left; it reports false if
// they still had work after many rounds.
func (w *world) poll(now int64) bool {
	for round := 0; round < 64; round++ {
		work := 0
		for _, wk := range w.eng.Workers() {
			work += wk.Poll(now)
		}
		if work == 0 {
			return true
		}
	}
	return false
}
