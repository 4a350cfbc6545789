package engine

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// Two-armed director of the NAT and TUN tests: link 0 faces the clients
// (through a router), link 1 the real servers.
var (
	routerMAC = testpkt.MAC("02:00:00:00:00:a1")
	dirCMAC   = testpkt.MAC("02:00:00:00:00:c0") // director, client side
	dirSMAC   = testpkt.MAC("02:00:00:00:00:c1") // director, server side
	natRS1    = netip.MustParseAddr("198.18.1.11")
	natRS2    = netip.MustParseAddr("198.18.1.12")
	natRS6    = netip.MustParseAddr("fd00:18:1::11")
	dirS4     = netip.MustParseAddr("198.18.1.1")
	dirS6     = netip.MustParseAddr("fd00:18:1::1")
	cl6       = netip.MustParseAddr("fd00:19::7")
)

const (
	linkClient = 0
	linkServer = 1
)

// newTwoArmed builds workers on two-link memports with services
// vip4:80/TCP → two real servers on 8080, vip4:53/UDP → one on 5353 and
// vip6:80/TCP → one on 8080, all with method m (tunnel type tun for
// tunnels).
func newTwoArmed(t testing.TB, workers int, m snapshot.Method, tun uint8) *fixture {
	f := newEngineT(t, workers, 2, nil)
	nh := func(mac [6]byte, src netip.Addr) snapshot.NextHop {
		return snapshot.NextHop{Valid: true, Link: linkServer, SrcMAC: dirSMAC, DstMAC: mac, MTU: 1500, Src: src.As16()}
	}
	f.svcs = []snapshot.Service{
		{ID: 0, Proto: 6, Family: 4, Addr: vip4.As16(), Port: 80, Sched: "rr", Dests: []uint32{0, 1}},
		{ID: 1, Proto: 17, Family: 4, Addr: vip4.As16(), Port: 53, Sched: "rr", Dests: []uint32{2}},
		{ID: 2, Proto: 6, Family: 6, Addr: vip6.As16(), Port: 80, Sched: "rr", Dests: []uint32{3}},
	}
	f.dests = []snapshot.Dest{
		{ID: 0, Service: 0, Addr: natRS1.As16(), Port: 8080, Weight: 1, Available: true, NextHop: nh(rs1MAC, dirS4)},
		{ID: 1, Service: 0, Addr: natRS2.As16(), Port: 8080, Weight: 1, Available: true, NextHop: nh(rs2MAC, dirS4)},
		{ID: 2, Service: 1, Addr: natRS1.As16(), Port: 5353, Weight: 1, Available: true, NextHop: nh(rs1MAC, dirS4)},
		{ID: 3, Service: 2, Addr: natRS6.As16(), Port: 8080, Weight: 1, Available: true, NextHop: nh(rs1MAC, dirS6)},
	}
	for i := range f.dests {
		f.dests[i].Method = m
		f.dests[i].TunType = tun
		if m == snapshot.MethodTunnel {
			f.dests[i].Port = f.svcs[f.dests[i].Service].Port // ipvsadm forces the virtual port
		}
	}
	f.publish()
	return f
}

// fromClient builds a frame from a client behind the router to the VIP.
func fromClient(src netip.Addr, dst netip.Addr) testpkt.Builder {
	b := testpkt.Eth(routerMAC, dirCMAC)
	if dst.Is4() {
		return b.IPv4(src, dst)
	}
	return b.IPv6(src, dst)
}

// fromServer builds a frame from a real server to the director's server side.
func fromServer(src netip.Addr, dst netip.Addr) testpkt.Builder {
	b := testpkt.Eth(rs1MAC, dirSMAC)
	if dst.Is4() {
		return b.IPv4(src, dst)
	}
	return b.IPv6(src, dst)
}

func (f *fixture) injectOn(w, link int, frame []byte) {
	if err := f.ports[w].Inject(link, frame); err != nil {
		f.t.Fatal(err)
	}
}

// one polls every worker and returns the single frame sent.
func (f *fixture) one(now int64) memport.Transmitted {
	f.t.Helper()
	f.poll(now)
	out := f.sent()
	if len(out) != 1 {
		f.t.Fatalf("sent %d frames, want 1 (drops %v)", len(out), f.eng.Counters().Drops)
	}
	return out[0]
}

func TestNATTranslatesBothWays(t *testing.T) {
	cases := []struct {
		name     string
		client   netip.Addr
		vip, rip netip.Addr // rip invalid: either real server
		vport    uint16
		rport    uint16
		udp      bool
	}{
		{"tcp ipv4 80→8080", client(7), vip4, netip.Addr{}, 80, 8080, false},
		{"udp ipv4 53→5353", client(7), vip4, natRS1, 53, 5353, true},
		{"tcp ipv6 80→8080", cl6, vip6, natRS6, 80, 8080, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
			in := fromClient(c.client, c.vip)
			if c.udp {
				in = in.UDP(40000, c.vport)
			} else {
				in = in.TCP(40000, c.vport, packet.TCPSyn).Seq(100)
			}
			f.injectOn(0, linkClient, in.Payload([]byte("hello")).Bytes())
			got := f.one(1)
			if got.Link != linkServer {
				t.Errorf("inbound left by link %d, want the server side", got.Link)
			}
			d, err := testpkt.Decode(got.Frame)
			if err != nil {
				t.Fatal(err)
			}
			rip := d.Dst
			if c.rip.IsValid() && rip != c.rip {
				t.Errorf("inbound to %v, want %v", rip, c.rip)
			}
			testpkt.Check(t, got.Frame, testpkt.SrcMAC(dirSMAC), testpkt.Src(c.client),
				testpkt.DstPort(c.rport), testpkt.SrcPort(40000), testpkt.Payload([]byte("hello")), testpkt.ValidChecksums())
			if m := dstMAC(got.Frame); m != rs1MAC && m != rs2MAC {
				t.Errorf("inbound to MAC %x, want a real server's", m)
			}

			// The reply comes back from RIP:rport and leaves to the router as VIP:vport.
			out := fromServer(rip, c.client)
			if c.udp {
				out = out.UDP(c.rport, 40000)
			} else {
				out = out.TCP(c.rport, 40000, packet.TCPSyn|packet.TCPAck).Seq(900).Ack(101)
			}
			f.injectOn(0, linkServer, out.Payload([]byte("world!")).Bytes())
			back := f.one(2)
			if back.Link != linkClient {
				t.Errorf("reply left by link %d, want the client side", back.Link)
			}
			testpkt.Check(t, back.Frame, testpkt.DstMAC(routerMAC), testpkt.SrcMAC(dirCMAC),
				testpkt.Src(c.vip), testpkt.Dst(c.client), testpkt.SrcPort(c.vport), testpkt.DstPort(40000),
				testpkt.Payload([]byte("world!")), testpkt.ValidChecksums())
			var slot uint32
			for i := range f.dests {
				if netip.AddrFrom16(f.dests[i].Addr).Unmap() == rip && f.dests[i].Port == c.rport {
					slot = f.dests[i].ID
				}
			}
			st := f.eng.DestStats(slot)
			if st.InPkts != 1 || st.OutPkts != 1 || st.OutBytes == 0 {
				t.Errorf("real server stats %+v, want 1 packet each way", st)
			}
			f.checkFrames()
		})
	}
}

func TestNATTCPStateFollowsBothDirections(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	c := client(3)
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(1234, 80, packet.TCPSyn).Bytes())
	rip := mustDecode(t, f.one(1).Frame).Dst
	f.injectOn(0, linkServer, fromServer(rip, c).TCP(8080, 1234, packet.TCPSyn|packet.TCPAck).Bytes())
	f.one(2)
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(1234, 80, packet.TCPAck).Bytes())
	f.one(3)
	var state conntrack.State
	f.eng.Workers()[0].ct.Range(func(_ int32, e *conntrack.Entry) bool { state = e.State; return false })
	if state != conntrack.StateEstablished {
		t.Fatalf("state after SYN, SYN-ACK, ACK = %v, want ESTABLISHED", state)
	}
	// The server closes: FIN from the reply side.
	f.injectOn(0, linkServer, fromServer(rip, c).TCP(8080, 1234, packet.TCPFin|packet.TCPAck).Bytes())
	f.one(4)
	f.eng.Workers()[0].ct.Range(func(_ int32, e *conntrack.Entry) bool { state = e.State; return false })
	if state != conntrack.StateFinWait {
		t.Errorf("state after the server's FIN = %v, want FIN_WAIT (IPVS output table)", state)
	}
}

func TestNATRepliesReachTheOwnerOnTheOtherWorker(t *testing.T) {
	f := newTwoArmed(t, 2, snapshot.MethodMasq, 0)
	crossed := 0
	for i := 0; i < 64; i++ {
		c, sport := client(100+i), uint16(20000+i)
		o := owner(ptr(c.As16()), sport, 2)
		// The client's packet arrives on its owner's queue, the reply on the other one.
		f.injectOn(o, linkClient, fromClient(c, vip4).UDP(sport, 53).Payload([]byte("q")).Bytes())
		got := f.one(int64(i + 1))
		f.injectOn(1-o, linkServer, fromServer(mustDecode(t, got.Frame).Dst, c).UDP(5353, sport).Payload([]byte("a")).Bytes())
		back := f.one(int64(i + 1))
		testpkt.Check(t, back.Frame, testpkt.Src(vip4), testpkt.SrcPort(53), testpkt.Dst(c), testpkt.DstPort(sport), testpkt.ValidChecksums())
		crossed++
	}
	cnt := f.eng.Counters()
	if cnt.HandoffOut != uint64(crossed) || cnt.HandoffIn != uint64(crossed) {
		t.Errorf("handoffs out/in %d/%d, want %d: every reply arrived on the other queue", cnt.HandoffOut, cnt.HandoffIn, crossed)
	}
	f.checkFrames()
}

func TestNATReplyWithoutConnectionIsDropped(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	f.injectOn(0, linkServer, fromServer(natRS1, client(1)).TCP(8080, 4000, packet.TCPAck).Bytes())
	// Not from a NAT real server: not a service, not a reply.
	f.injectOn(0, linkServer, fromServer(natRS1, client(1)).TCP(9999, 4000, packet.TCPAck).Bytes())
	f.poll(1)
	if n := len(f.sent()); n != 0 {
		t.Fatalf("forwarded %d replies without connection", n)
	}
	if f.drops(verdict.NoConnection) != 1 || f.drops(verdict.NoService) != 1 {
		t.Errorf("drops %v, want one no-connection and one no-service", f.eng.Counters().Drops)
	}
	f.checkFrames()
}

func TestNATReplyHopFollowsTheClient(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	c := client(5)
	f.injectOn(0, linkClient, fromClient(c, vip4).UDP(7, 53).Bytes())
	rip := mustDecode(t, f.one(1).Frame).Dst
	// The router changed (VRRP failover to a box with its own MAC).
	newRouter := testpkt.MAC("02:00:00:00:00:a2")
	f.injectOn(0, linkClient, testpkt.Eth(newRouter, dirCMAC).IPv4(c, vip4).UDP(7, 53).Bytes())
	f.one(2)
	f.injectOn(0, linkServer, fromServer(rip, c).UDP(5353, 7).Bytes())
	testpkt.Check(t, f.one(3).Frame, testpkt.DstMAC(newRouter))
}

func TestNATSCTPChecksumRecomputed(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	f.svcs = append(f.svcs, snapshot.Service{ID: 3, Proto: 132, Family: 4, Addr: vip4.As16(), Port: 3868, Sched: "rr", Dests: []uint32{4}})
	f.dests = append(f.dests, snapshot.Dest{ID: 4, Service: 3, Addr: natRS2.As16(), Port: 13868, Method: snapshot.MethodMasq, Weight: 1, Available: true, NextHop: f.dests[1].NextHop})
	f.publish()
	f.injectOn(0, linkClient, fromClient(client(1), vip4).SCTP(5000, 3868).Payload(append([]byte{1, 0, 0, 20}, make([]byte, 16)...)).Bytes()) // INIT
	testpkt.Check(t, f.one(1).Frame, testpkt.Dst(natRS2), testpkt.DstPort(13868), testpkt.ValidChecksums())
	f.injectOn(0, linkServer, fromServer(natRS2, client(1)).SCTP(13868, 5000).Payload(append([]byte{2, 0, 0, 20}, make([]byte, 16)...)).Bytes()) // INIT ACK
	testpkt.Check(t, f.one(2).Frame, testpkt.Src(vip4), testpkt.SrcPort(3868), testpkt.ValidChecksums())
}

func TestNATFramesWithPartialPayloadKeepBytes(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	payload := bytes.Repeat([]byte("0123456789"), 140)
	f.injectOn(0, linkClient, fromClient(client(2), vip4).TCP(999, 80, packet.TCPSyn).Payload(payload).Bytes())
	testpkt.Check(t, f.one(1).Frame, testpkt.Payload(payload), testpkt.ValidChecksums())
}

func mustDecode(t testing.TB, frame []byte) *testpkt.Frame {
	t.Helper()
	d, err := testpkt.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }
