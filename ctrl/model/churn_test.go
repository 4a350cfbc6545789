package model_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/ctrl/netinfo"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// TestChurnKeepsCountsExact runs traffic of every kind (TCP handshakes,
// data and closes, UDP, SCTP, real servers' replies) on two workers while
// the model republishes random configuration changes every few batches:
// services added and deleted (every method, persistence, one-packet,
// firewall marks), real servers added, deleted and set to weight 0, local
// addresses added and deleted, mark rules, timeouts. Invariants: no
// panic; every frame accounted for; at each quiescent point the
// per-destination active, inactive and persistent counts equal a recount
// of the connection tables (Engine.ListConns), the local addresses'
// connection counts equal the FULLNAT ports in use; once everything is
// deleted and has expired, every count is zero and every port free.
func TestChurnKeepsCountsExact(t *testing.T) {
	c := newChurn(t)
	for i := 0; i < 300; i++ {
		c.change() // a configuration to start from
	}
	for round := 0; round < 16; round++ {
		for step := 0; step < 60; step++ {
			c.traffic()
			if c.rng.IntN(3) == 0 {
				c.change()
			}
			c.now += int64(c.rng.IntN(4000)) * 1e6
			if c.rng.IntN(40) == 0 {
				c.now += 200e9 // past UDP and SYN timeouts
			}
			c.poll()
		}
		c.checkCounts()
	}
	if r := c.m.Do(&api.Request{Op: api.OpFlush}); r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, k := range c.marks {
		c.m.Do(&api.Request{Op: api.OpDelMarkRule, MarkRule: &k})
	}
	c.now += 4 * 3600e9
	for i := 0; i < 8; i++ {
		c.poll()
	}
	c.checkCounts()
	fc := c.eng.FullNATCounters()
	if fc.PortsAllocated != fc.PortsReleased || fc.BadReleases != 0 {
		t.Fatalf("after flush and expiry: FULLNAT ports allocated %d released %d, bad releases %d",
			fc.PortsAllocated, fc.PortsReleased, fc.BadReleases)
	}
	ec := c.eng.Counters()
	if ec.Conns != 0 {
		t.Fatalf("%d connections left", ec.Conns)
	}
	for s, n := range ec.ConnStates {
		if n != 0 {
			t.Fatalf("state %v counts %d connections in empty tables", conntrack.State(s), int64(n))
		}
	}
	if ec.ConnsCreated < 300 || ec.TxPackets < 300 {
		t.Fatalf("too little happened: %d connections, %d frames sent", ec.ConnsCreated, ec.TxPackets)
	}
	t.Logf("%d connections, %d frames sent, %d FULLNAT ports, %d configuration changes accepted of %d",
		ec.ConnsCreated, ec.TxPackets, fc.PortsAllocated, c.accepted, c.changes)
}

// Addresses of the churn test.
var (
	churnVIP4  = netip.MustParseAddr("198.18.0.100")
	churnVIP6  = netip.MustParseAddr("fd00:18::100")
	churnMark  = netip.MustParseAddr("198.18.0.101")
	churnRS4   = []netip.Addr{netip.MustParseAddr("198.18.1.11"), netip.MustParseAddr("198.18.1.12"), netip.MustParseAddr("198.18.1.13")}
	churnRS6   = []netip.Addr{netip.MustParseAddr("fd00:18:1::11"), netip.MustParseAddr("fd00:18:1::12")}
	churnLIP4  = []netip.Addr{netip.MustParseAddr("198.18.1.200"), netip.MustParseAddr("198.18.1.201")}
	churnLIP6  = []netip.Addr{netip.MustParseAddr("fd00:18:1::200")}
	churnCMAC  = testpkt.MAC("02:00:00:00:00:a1")
	churnRSMAC = testpkt.MAC("02:00:00:00:00:11")
)

const churnFrames = 512

var churnSeed uint64 = 1

type churn struct {
	t        *testing.T
	rng      *rand.Rand
	eng      *engine.Engine
	ports    []*memport.Port
	m        *model.Model
	now      int64
	toRS     []memport.Transmitted // recent frames sent to real servers
	marks    []api.MarkRule
	changes  int
	accepted int
}

func newChurn(t *testing.T) *churn {
	c := &churn{t: t, rng: rand.New(rand.NewPCG(churnSeed, 2)), now: 1e9}
	var ports []port.Port
	for i := 0; i < 2; i++ {
		p := memport.New(churnFrames, 2048, 2)
		p.Headroom = 256
		c.ports = append(c.ports, p)
		ports = append(ports, p)
	}
	cfg := engine.DefaultConfig()
	cfg.ConnCapacity, cfg.Seed = 4096, 3
	cfg.FullNATMinPort, cfg.FullNATMaxPort = 20000, 20063 // small: pools run out too
	eng, err := engine.New(cfg, ports)
	if err != nil {
		t.Fatal(err)
	}
	c.eng = eng
	nh := newFakeNextHops()
	for _, a := range append(append([]netip.Addr{}, churnRS4...), churnRS6...) {
		src := "198.18.1.1"
		if a.Is6() {
			src = "fd00:18:1::1"
		}
		nh.set(a.String(), netinfo.NextHop{IfIndex: testLinks[1].IfIndex, SrcMAC: testLinks[1].MAC, DstMAC: churnRSMAC,
			Src: netip.MustParseAddr(src), MTU: 1500, Resolved: true, Up: true})
	}
	c.m = model.New(model.Config{Links: testLinks, NextHops: nh, Stats: eng, Conns: eng, Publish: eng.Publish,
		ConnTabSize: 4096, IfIndex: func(string) int { return testLinks[1].IfIndex }})
	return c
}

// keys are the services the churn adds and deletes.
func (c *churn) key() api.ServiceKey {
	switch c.rng.IntN(8) {
	case 0:
		return api.ServiceKey{Protocol: 6, Addr: churnVIP4, Port: 80}
	case 1:
		return api.ServiceKey{Protocol: 17, Addr: churnVIP4, Port: 53}
	case 2:
		return api.ServiceKey{Protocol: 132, Addr: churnVIP4, Port: 3868}
	case 3:
		return api.ServiceKey{Protocol: 6, Addr: churnVIP6, Port: 80}
	case 4:
		return api.ServiceKey{Protocol: 17, Addr: churnVIP6, Port: 53}
	case 5:
		return api.ServiceKey{Protocol: 6, Addr: churnVIP4, Port: 0}
	case 6:
		return api.ServiceKey{Addr: netip.IPv4Unspecified(), FWMark: 1}
	}
	return api.ServiceKey{Protocol: 6, Addr: churnVIP4, Port: 443}
}

func (c *churn) do(r *api.Request) {
	c.changes++
	if resp := c.m.Do(r); resp.Err == nil {
		c.accepted++
	}
}

// change makes one random configuration change; the model refuses the
// invalid ones as it would refuse ipvsadm.
func (c *churn) change() {
	k := c.key()
	v6 := k.Addr.Is6() && !k.Addr.Is4In6()
	rs := churnRS4[c.rng.IntN(len(churnRS4))]
	if v6 {
		rs = churnRS6[c.rng.IntN(len(churnRS6))]
	}
	methods := []api.Method{api.MethodRoute, api.MethodMasq, api.MethodTunnel, api.MethodFullNAT}
	switch c.rng.IntN(10) {
	case 0, 1:
		scheds := []string{"rr", "wrr", "lc", "wlc", "sh", "mh", "sed", "nq"}
		s := &api.Service{Key: k, Scheduler: scheds[c.rng.IntN(len(scheds))], Netmask: 0xffffffff}
		if v6 {
			s.Netmask = 128
		}
		if c.rng.IntN(3) == 0 {
			s.Flags |= api.SvcPersistent
			s.Timeout = uint32(10 + c.rng.IntN(60))
		}
		if k.Protocol == 17 && c.rng.IntN(3) == 0 {
			s.Flags |= api.SvcOnePacket
		}
		if c.rng.IntN(2) == 0 {
			s.ClientAddr = []string{api.ClientAddrTOA, api.ClientAddrProxyV2}[c.rng.IntN(2)]
		}
		op := api.OpAddService
		if c.rng.IntN(2) == 0 {
			op = api.OpEditService
		}
		c.do(&api.Request{Op: op, Service: s})
	case 2:
		if c.rng.IntN(3) == 0 {
			c.do(&api.Request{Op: api.OpDelService, Service: &api.Service{Key: k}})
		}
	case 3, 4, 5:
		d := &api.Dest{Addr: rs, Port: 8080, Method: methods[c.rng.IntN(len(methods))], Weight: int32(c.rng.IntN(4))}
		if k.Port == 0 && k.FWMark == 0 || k.FWMark != 0 {
			d.Port = 0
		}
		if d.Method == api.MethodTunnel {
			d.Port = k.Port
			d.TunType = uint8(c.rng.IntN(3))
			d.TunPort = 6080
		}
		op := api.OpAddDest
		if c.rng.IntN(2) == 0 {
			op = api.OpEditDest
		}
		c.do(&api.Request{Op: op, Service: &api.Service{Key: k}, Dest: d})
	case 6:
		if c.rng.IntN(2) == 0 {
			break
		}
		c.do(&api.Request{Op: api.OpDelDest, Service: &api.Service{Key: k}, Dest: &api.Dest{Addr: rs, Port: 8080}})
		c.do(&api.Request{Op: api.OpDelDest, Service: &api.Service{Key: k}, Dest: &api.Dest{Addr: rs, Port: k.Port}})
	case 7:
		lips := churnLIP4
		if v6 {
			lips = churnLIP6
		}
		op := api.OpAddLaddr
		if c.rng.IntN(3) == 0 {
			op = api.OpDelLaddr
		}
		c.do(&api.Request{Op: op, Service: &api.Service{Key: k}, Laddr: &api.LocalAddr{Addr: lips[c.rng.IntN(len(lips))]}})
	case 8:
		r := api.MarkRule{Mark: 1, Prefix: netip.PrefixFrom(churnMark, 32), PortFrom: 1000, PortTo: 1999}
		if len(c.marks) == 0 {
			c.do(&api.Request{Op: api.OpAddMarkRule, MarkRule: &r})
			c.marks = append(c.marks, r)
		} else {
			c.do(&api.Request{Op: api.OpDelMarkRule, MarkRule: &r})
			c.marks = nil
		}
	case 9:
		c.do(&api.Request{Op: api.OpSetTimeouts, Timeouts: &api.Timeouts{TCP: uint32(5 + c.rng.IntN(100)), TCPFin: uint32(1 + c.rng.IntN(20)), UDP: uint32(1 + c.rng.IntN(60))}})
	}
}

// traffic feeds a batch: clients' packets to the services' addresses and
// real servers' replies to frames sent to them.
func (c *churn) traffic() {
	for i := 0; i < 16; i++ {
		cl := netip.AddrFrom4([4]byte{198, 19, 0, byte(c.rng.IntN(48))})
		cport := uint16(1000 + c.rng.IntN(4))
		var b testpkt.Builder
		switch c.rng.IntN(6) {
		case 0:
			b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv4(cl, churnVIP4).TCP(cport, []uint16{80, 443, 8000}[c.rng.IntN(3)], c.tcpFlags())
		case 1:
			b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv4(cl, churnVIP4).UDP(cport, 53).Payload([]byte("q"))
		case 2:
			chunk := []uint8{header.SCTPChunkInit, header.SCTPChunkData, header.SCTPChunkAbort, header.SCTPChunkShutdown}[c.rng.IntN(4)]
			b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv4(cl, churnVIP4).SCTP(cport, 3868).Chunks(header.SCTPChunk{Type: chunk, Value: make([]byte, 8)})
		case 3:
			cl6 := netip.AddrFrom16([16]byte{0xfd, 0, 0, 0x19, 15: byte(c.rng.IntN(48))})
			if c.rng.IntN(2) == 0 {
				b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv6(cl6, churnVIP6).TCP(cport, 80, c.tcpFlags())
			} else {
				b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv6(cl6, churnVIP6).UDP(cport, 53).Payload([]byte("q6"))
			}
		case 4:
			b = testpkt.Eth(churnCMAC, testLinks[0].MAC).IPv4(cl, churnMark).TCP(cport, uint16(1000+c.rng.IntN(3)), c.tcpFlags()).Payload([]byte("m"))
		case 5:
			if f, ok := c.reply(); ok {
				c.inject(1, f)
			}
			continue
		}
		c.inject(0, b.Bytes())
	}
}

func (c *churn) tcpFlags() uint8 {
	return []uint8{packet.TCPSyn, packet.TCPAck, packet.TCPAck | packet.TCPPsh, packet.TCPFin | packet.TCPAck, packet.TCPRst}[c.rng.IntN(5)]
}

// reply answers a recent frame sent to a real server.
func (c *churn) reply() ([]byte, bool) {
	if len(c.toRS) == 0 {
		return nil, false
	}
	out := c.toRS[c.rng.IntN(len(c.toRS))]
	f, err := testpkt.Decode(out.Frame)
	if err != nil || len(f.L4) < 4 {
		return nil, false
	}
	sport, dport := binary.BigEndian.Uint16(f.L4[2:]), binary.BigEndian.Uint16(f.L4)
	b := testpkt.Eth(f.L2.DestinationAddress(), f.L2.SourceAddress())
	if f.Family == 4 {
		b = b.IPv4(f.Dst, f.Src)
	} else {
		b = b.IPv6(f.Dst, f.Src)
	}
	switch f.Proto {
	case header.IPProtoTCP:
		b = b.TCP(sport, dport, []uint8{packet.TCPSyn | packet.TCPAck, packet.TCPAck, packet.TCPFin | packet.TCPAck}[c.rng.IntN(3)])
	case header.IPProtoUDP:
		b = b.UDP(sport, dport).Payload([]byte("a"))
	case header.IPProtoSCTP:
		b = b.SCTP(sport, dport).Chunks(header.SCTPChunk{Type: []uint8{2, 11, 0}[c.rng.IntN(3)], Value: make([]byte, 4)})
	default:
		return nil, false
	}
	return b.Bytes(), true
}

func (c *churn) inject(link int, frame []byte) {
	if err := c.ports[c.rng.IntN(2)].Inject(link, frame); err != nil {
		c.t.Fatalf("inject: %v", err)
	}
}

// poll runs both workers until idle, keeps some frames sent to real
// servers for replies, and checks the frame accounting.
func (c *churn) poll() {
	c.t.Helper()
	for round := 0; ; round++ {
		if round == 64 {
			c.t.Fatal("workers still busy after 64 rounds")
		}
		work := 0
		for _, w := range c.eng.Workers() {
			work += w.Poll(c.now)
		}
		if work == 0 {
			break
		}
	}
	for i, p := range c.ports {
		for _, out := range p.TakeTx() {
			if out.Link == 1 {
				if len(c.toRS) < 64 {
					c.toRS = append(c.toRS, out)
				} else {
					c.toRS[c.rng.IntN(64)] = out
				}
			}
		}
		if got := p.FreeFrames() + p.Pending(); got != churnFrames {
			c.t.Fatalf("port %d: %d frames free or queued, want %d", i, got, churnFrames)
		}
	}
	ec := c.eng.Counters()
	var drops uint64
	for _, d := range ec.Drops {
		drops += d
	}
	if ec.RxPackets != ec.TxPackets+drops-ec.Drops[verdict.TooBig] {
		c.t.Fatalf("rx %d != tx %d + drops %d - too-big %d", ec.RxPackets, ec.TxPackets, drops, ec.Drops[verdict.TooBig])
	}
}

// checkCounts recounts the connection tables and compares the counts.
func (c *churn) checkCounts() {
	c.t.Helper()
	// ListConns lists live entries; the counts include entries whose
	// time is up until the sweep removes them: sweep the whole tables
	// at this instant first.
	for i := 0; i < 4096/256+2; i++ {
		c.poll()
	}
	conns, err := c.eng.ListConns(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	type counts struct{ active, inactive, persist uint64 }
	recount := map[uint32]*counts{}
	for _, ci := range conns {
		n := recount[ci.Dest]
		if n == nil {
			n = &counts{}
			recount[ci.Dest] = n
		}
		switch {
		case ci.Flags&conntrack.FlagTemplate != 0:
			n.persist++
		case ci.State.Active():
			n.active++
		default:
			n.inactive++
		}
	}
	for slot := uint32(0); slot < 256; slot++ {
		st := c.eng.DestStats(slot)
		want := recount[slot]
		if want == nil {
			want = &counts{}
		}
		if st.ActiveConns != want.active || st.InactConns != want.inactive || st.PersistConns != want.persist {
			c.t.Fatalf("real server slot %d counts active %d inactive %d persistent %d; tables hold %d, %d, %d",
				slot, int64(st.ActiveConns), int64(st.InactConns), int64(st.PersistConns), want.active, want.inactive, want.persist)
		}
	}
	fc := c.eng.FullNATCounters()
	var inUse uint64
	for slot := uint32(0); slot < snapshot.MaxLocalAddrs; slot++ {
		n, _ := c.eng.LaddrStats(slot)
		inUse += n
	}
	if fc.PortsAllocated-fc.PortsReleased != inUse || fc.BadReleases != 0 {
		c.t.Fatalf("FULLNAT ports allocated %d released %d, %d in use by local addresses, bad releases %d",
			fc.PortsAllocated, fc.PortsReleased, inUse, fc.BadReleases)
	}
}
