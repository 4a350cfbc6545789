package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var (
	clientMAC = testpkt.MAC("02:00:00:00:00:01")
	dirMAC    = testpkt.MAC("02:00:00:00:00:02")
	rs1MAC    = testpkt.MAC("02:00:00:00:00:11")
	rs2MAC    = testpkt.MAC("02:00:00:00:00:12")
	vip4      = netip.MustParseAddr("198.18.0.100")
	vip6      = netip.MustParseAddr("fd00:18::100")
	rs1       = netip.MustParseAddr("198.18.0.11")
	rs2       = netip.MustParseAddr("198.18.0.12")
)

const second = int64(1e9)

// fixture is one engine on memports with a DR service on vip4:80 (TCP) and
// vip4:53 (UDP) and vip6:80, each with two real servers.
type fixture struct {
	t     testing.TB
	eng   *Engine
	ports []*memport.Port
	dests []snapshot.Dest
	svcs  []snapshot.Service
	gen   uint64
}

// fixtureCapacity is the connection table capacity of the fixtures'
// workers (BenchmarkDRManyFlows raises it for a run).
var fixtureCapacity = 1 << 15

// newEngineT returns a fixture without services: an engine with cfg
// (DefaultConfig with 2^15 connections and seed 1 when nil) on one memport
// per worker, each with links links.
func newEngineT(t testing.TB, workers, links int, cfg *Config) *fixture {
	f := &fixture{t: t}
	var ports []port.Port
	for i := 0; i < workers; i++ {
		p := memport.New(1024, 2048, links)
		f.ports = append(f.ports, p)
		ports = append(ports, p)
	}
	if cfg == nil {
		c := DefaultConfig()
		c.ConnCapacity = fixtureCapacity
		c.Seed = 1
		cfg = &c
	}
	eng, err := New(*cfg, ports)
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	return f
}

func newFixture(t testing.TB, workers int, scheduler string) *fixture {
	f := newEngineT(t, workers, 1, nil)
	nh := func(mac [6]byte) snapshot.NextHop {
		return snapshot.NextHop{Valid: true, Link: 0, SrcMAC: dirMAC, DstMAC: mac, MTU: 1500}
	}
	rs16 := func(a netip.Addr) [16]byte { return a.As16() }
	f.svcs = []snapshot.Service{
		{ID: 0, Proto: 6, Family: 4, Addr: vip4.As16(), Port: 80, Sched: scheduler, Dests: []uint32{0, 1}},
		{ID: 1, Proto: 17, Family: 4, Addr: vip4.As16(), Port: 53, Sched: scheduler, Dests: []uint32{2, 3}},
		{ID: 2, Proto: 6, Family: 6, Addr: vip6.As16(), Port: 80, Sched: scheduler, Dests: []uint32{4, 5}},
	}
	f.dests = []snapshot.Dest{
		{ID: 0, Service: 0, Addr: rs16(rs1), Port: 80, Weight: 1, Available: true, NextHop: nh(rs1MAC)},
		{ID: 1, Service: 0, Addr: rs16(rs2), Port: 80, Weight: 1, Available: true, NextHop: nh(rs2MAC)},
		{ID: 2, Service: 1, Addr: rs16(rs1), Port: 53, Weight: 1, Available: true, NextHop: nh(rs1MAC)},
		{ID: 3, Service: 1, Addr: rs16(rs2), Port: 53, Weight: 1, Available: true, NextHop: nh(rs2MAC)},
		{ID: 4, Service: 2, Addr: netip.MustParseAddr("fd00:18::11").As16(), Port: 80, Weight: 1, Available: true, NextHop: nh(rs1MAC)},
		{ID: 5, Service: 2, Addr: netip.MustParseAddr("fd00:18::12").As16(), Port: 80, Weight: 1, Available: true, NextHop: nh(rs2MAC)},
	}
	f.publish()
	return f
}

func (f *fixture) publish() {
	f.gen++
	s, err := snapshot.Build(f.gen, f.svcs, f.dests, conntrack.DefaultTimeouts())
	if err != nil {
		f.t.Fatal(err)
	}
	f.eng.Publish(s)
}

// poll runs every worker until none has work left.
func (f *fixture) poll(now int64) {
	for round := 0; round < 8; round++ {
		work := 0
		for _, w := range f.eng.Workers() {
			work += w.Poll(now)
		}
		if work == 0 {
			return
		}
	}
}

func client(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)})
}

func syn(src netip.Addr, sport uint16, dst netip.Addr) []byte {
	b := testpkt.Eth(clientMAC, dirMAC)
	if dst.Is4() {
		b = b.IPv4(src, dst)
	} else {
		b = b.IPv6(src, dst)
	}
	return b.TCP(sport, 80, packet.TCPSyn).Bytes()
}

func tcpFrame(src netip.Addr, sport uint16, dst netip.Addr, flags uint8, payload []byte) []byte {
	b := testpkt.Eth(clientMAC, dirMAC)
	if dst.Is4() {
		b = b.IPv4(src, dst)
	} else {
		b = b.IPv6(src, dst)
	}
	return b.TCP(sport, 80, flags).Payload(payload).Bytes()
}

func (f *fixture) inject(w int, frame []byte) {
	if err := f.ports[w].Inject(0, frame); err != nil {
		f.t.Fatal(err)
	}
}

// sent collects every transmitted frame over all ports.
func (f *fixture) sent() []memport.Transmitted {
	var out []memport.Transmitted
	for _, p := range f.ports {
		out = append(out, p.TakeTx()...)
	}
	return out
}

func (f *fixture) drops(r verdict.DropReason) uint64 { return f.eng.Counters().Drops[r] }

// checkFrames asserts that no frame was lost: every frame of every port is
// back in its free pool.
func (f *fixture) checkFrames() {
	f.t.Helper()
	for i, p := range f.ports {
		if got := p.FreeFrames() + p.Pending(); got != 1024 {
			f.t.Errorf("port %d: %d frames accounted for, want 1024", i, got)
		}
	}
}

func dstMAC(frame []byte) [6]byte { return [6]byte(frame[0:6]) }
func srcMAC(frame []byte) [6]byte { return [6]byte(frame[6:12]) }

func testpktUDP(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	return testpkt.Eth(clientMAC, dirMAC).IPv4(src, dst).UDP(sport, dport).Payload([]byte("query")).Bytes()
}
