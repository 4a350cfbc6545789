package engine

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// Local addresses of the FULLNAT tests, on the director's server side.
var (
	lipA4 = netip.MustParseAddr("198.18.1.200")
	lipB4 = netip.MustParseAddr("198.18.1.201")
	lip6  = netip.MustParseAddr("fd00:18:1::200")
)

// fnFixture is the two-armed director with FULLNAT real servers:
// vip4:80/TCP → natRS1:8080, natRS2:8080; vip4:53/UDP → natRS1:5353;
// vip6:80/TCP → natRS6:8080; vip6:53/UDP → natRS6:5353. IPv4 services use
// local address slot 0 (lipA4), IPv6 ones slot 2 (lip6); slot 1 (lipB4)
// exists for the tests that add it.
type fnFixture struct {
	*fixture
	laddrs []snapshot.LocalAddr
}

func newFullNAT(t testing.TB, workers int, minPort, maxPort uint16, mode snapshot.ClientAddrMode) *fnFixture {
	f := &fnFixture{fixture: &fixture{t: t}}
	var ports []port.Port
	for i := 0; i < workers; i++ {
		p := memport.New(1024, 2048, 2)
		f.ports = append(f.ports, p)
		ports = append(ports, p)
	}
	cfg := DefaultConfig()
	cfg.ConnCapacity = 1 << 12
	cfg.ReplyCapacity = cfg.ConnCapacity // every FULLNAT connection holds a reply record
	cfg.Seed = 1
	cfg.FullNATMinPort, cfg.FullNATMaxPort = minPort, maxPort
	eng, err := New(cfg, ports)
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	nh := func(mac [6]byte) snapshot.NextHop {
		return snapshot.NextHop{Valid: true, Link: linkServer, SrcMAC: dirSMAC, DstMAC: mac, MTU: 1500}
	}
	fn4 := snapshot.ServiceFullNAT{Laddrs: []uint32{0}, ClientAddr: mode}
	fn6 := snapshot.ServiceFullNAT{Laddrs: []uint32{2}, ClientAddr: mode}
	f.svcs = []snapshot.Service{
		{ID: 0, Proto: 6, Family: 4, Addr: vip4.As16(), Port: 80, Sched: "rr", Dests: []uint32{0, 1}, FullNAT: fn4},
		{ID: 1, Proto: 17, Family: 4, Addr: vip4.As16(), Port: 53, Sched: "rr", Dests: []uint32{2}, FullNAT: fn4},
		{ID: 2, Proto: 6, Family: 6, Addr: vip6.As16(), Port: 80, Sched: "rr", Dests: []uint32{3}, FullNAT: fn6},
		{ID: 3, Proto: 17, Family: 6, Addr: vip6.As16(), Port: 53, Sched: "rr", Dests: []uint32{4}, FullNAT: fn6},
	}
	f.dests = []snapshot.Dest{
		{ID: 0, Service: 0, Addr: natRS1.As16(), Port: 8080, NextHop: nh(rs1MAC)},
		{ID: 1, Service: 0, Addr: natRS2.As16(), Port: 8080, NextHop: nh(rs2MAC)},
		{ID: 2, Service: 1, Addr: natRS1.As16(), Port: 5353, NextHop: nh(rs1MAC)},
		{ID: 3, Service: 2, Addr: natRS6.As16(), Port: 8080, NextHop: nh(rs1MAC)},
		{ID: 4, Service: 3, Addr: natRS6.As16(), Port: 5353, NextHop: nh(rs1MAC)},
	}
	for i := range f.dests {
		f.dests[i].Method, f.dests[i].Weight, f.dests[i].Available = snapshot.MethodFullNAT, 1, true
	}
	f.laddrs = []snapshot.LocalAddr{
		{ID: 0, Family: 4, Addr: lipA4.As16(), Link: linkServer, Available: true},
		{ID: 1, Family: 4, Addr: lipB4.As16(), Link: linkServer, Available: true},
		{ID: 2, Family: 6, Addr: lip6.As16(), Link: linkServer, Available: true},
	}
	f.publishFN()
	return f
}

func (f *fnFixture) publishFN() {
	f.gen++
	s, err := snapshot.Build(f.gen, f.svcs, f.dests, conntrack.DefaultTimeouts())
	if err == nil {
		err = s.SetLocalAddrs(f.laddrs)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	f.eng.Publish(s)
}

// lipOf returns the local address a family's services use.
func lipOf(a netip.Addr) netip.Addr {
	if a.Is4() {
		return lipA4
	}
	return lip6
}

// toDirector builds a frame from a real server to the director's server side.
func toDirector(src, dst netip.Addr) testpkt.Builder {
	b := testpkt.Eth(rs1MAC, dirSMAC)
	if src.Is4() {
		return b.IPv4(src, dst)
	}
	return b.IPv6(src, dst)
}

func TestFullNATTranslatesBothWays(t *testing.T) {
	cases := []struct {
		name         string
		client, vip  netip.Addr
		vport, rport uint16
		udp          bool
	}{
		{"tcp ipv4", client(7), vip4, 80, 8080, false},
		{"udp ipv4", client(7), vip4, 53, 5353, true},
		{"tcp ipv6", cl6, vip6, 80, 8080, false},
		{"udp ipv6", cl6, vip6, 53, 5353, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
			in := fromClient(c.client, c.vip)
			if c.udp {
				in = in.UDP(40000, c.vport)
			} else {
				in = in.TCP(40000, c.vport, packet.TCPSyn).Seq(100).TCPOptions([]byte{2, 4, 5, 0xb4})
			}
			in = in.Payload([]byte("hello"))
			f.injectOn(0, linkClient, in.Bytes())
			got := f.one(1)
			if got.Link != linkServer {
				t.Errorf("inbound left by link %d, want the server side", got.Link)
			}
			d := mustDecode(t, got.Frame)
			rip, lport := d.Dst, binary.BigEndian.Uint16(d.L4[0:2])
			if lport < 1025 {
				t.Fatalf("local port %d outside the default range", lport)
			}
			// Byte for byte: the client's frame with the server side's
			// MACs, LIP:lport → RIP:rport, and checksums that a full
			// computation gives (testpkt computes them from scratch).
			want := testpkt.Eth(dirSMAC, [6]byte(got.Frame[0:6]))
			if c.vip.Is4() {
				want = want.IPv4(lipOf(c.vip), rip)
			} else {
				want = want.IPv6(lipOf(c.vip), rip)
			}
			if c.udp {
				want = want.UDP(lport, c.rport)
			} else {
				want = want.TCP(lport, c.rport, packet.TCPSyn).Seq(100).TCPOptions([]byte{2, 4, 5, 0xb4})
			}
			if w := want.Payload([]byte("hello")).Bytes(); !bytes.Equal(got.Frame, w) {
				t.Fatalf("inbound\n got % x\nwant % x", got.Frame, w)
			}

			out := toDirector(rip, lipOf(c.vip))
			if c.udp {
				out = out.UDP(c.rport, lport)
			} else {
				out = out.TCP(c.rport, lport, packet.TCPSyn|packet.TCPAck).Seq(900).Ack(101)
			}
			f.injectOn(0, linkServer, out.Payload([]byte("world!")).Bytes())
			reply := f.one(2)
			if reply.Link != linkClient {
				t.Errorf("reply left by link %d, want the client side", reply.Link)
			}
			wantBack := testpkt.Eth(dirCMAC, routerMAC)
			if c.vip.Is4() {
				wantBack = wantBack.IPv4(c.vip, c.client)
			} else {
				wantBack = wantBack.IPv6(c.vip, c.client)
			}
			if c.udp {
				wantBack = wantBack.UDP(c.vport, 40000)
			} else {
				wantBack = wantBack.TCP(c.vport, 40000, packet.TCPSyn|packet.TCPAck).Seq(900).Ack(101)
			}
			if w := wantBack.Payload([]byte("world!")).Bytes(); !bytes.Equal(reply.Frame, w) {
				t.Fatalf("reply\n got % x\nwant % x", reply.Frame, w)
			}
			var slot uint32
			for i := range f.dests {
				if netip.AddrFrom16(f.dests[i].Addr).Unmap() == rip && f.dests[i].Port == c.rport {
					slot = f.dests[i].ID
				}
			}
			st, ss := f.eng.DestStats(slot), f.eng.ServiceStats(f.dests[slot].Service)
			if st.InPkts != 1 || st.OutPkts != 1 || st.OutBytes == 0 || ss.OutPkts != 1 || ss.OutBytes != st.OutBytes {
				t.Errorf("real server stats %+v, service %+v: want 1 packet each way", st, ss)
			}
			if conns, _ := f.eng.LaddrStats(f.svcs[f.dests[slot].Service].FullNAT.Laddrs[0]); conns != 1 {
				t.Errorf("local address connections %d, want 1", conns)
			}
			f.checkFrames()
		})
	}
}

// TestFullNATRepliesOnTheWrongWorker: with two workers, the owner of the
// client's flow takes a port of its own slice, and replies received by
// the other worker are handed to it by port arithmetic.
func TestFullNATRepliesOnTheWrongWorker(t *testing.T) {
	f := newFullNAT(t, 2, 0, 0, snapshot.ClientAddrNone)
	for i := 0; i < 16; i++ {
		c, sport := client(i), uint16(30000+i)
		owner := owner(ptr(c.As16()), sport, 2)
		// Received by the worker that does not own the flow.
		f.injectOn(1-owner, linkClient, fromClient(c, vip4).UDP(sport, 53).Payload([]byte("q")).Bytes())
		got := f.one(int64(i + 1))
		d := mustDecode(t, got.Frame)
		lport := binary.BigEndian.Uint16(d.L4[0:2])
		if int(lport)%2 != owner {
			t.Fatalf("flow owned by worker %d got local port %d", owner, lport)
		}
		// The reply arrives on the other worker than the port's.
		before := f.eng.Counters().HandoffIn
		f.injectOn(1-owner, linkServer, toDirector(d.Dst, lipA4).UDP(5353, lport).Payload([]byte("a")).Bytes())
		back := f.one(int64(i + 1))
		testpkt.Check(t, back.Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.SrcPort(53), testpkt.DstPort(sport),
			testpkt.Payload([]byte("a")), testpkt.ValidChecksums())
		if f.eng.Counters().HandoffIn != before+1 {
			t.Fatalf("the reply was not handed to the port's owner")
		}
	}
	f.checkFrames()
}

// TestFullNATPoolExhaustionAndRecovery: a range of 4 ports gives 4
// connections; the fifth is refused and counted, the first four still
// work, and once they expire new connections work again.
func TestFullNATPoolExhaustionAndRecovery(t *testing.T) {
	f := newFullNAT(t, 1, 40000, 40003, snapshot.ClientAddrNone)
	ports := map[uint16]bool{}
	for i := 0; i < 4; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).UDP(1000, 53).Bytes())
		d := mustDecode(t, f.one(second).Frame)
		ports[binary.BigEndian.Uint16(d.L4[0:2])] = true
	}
	if len(ports) != 4 {
		t.Fatalf("4 connections took ports %v, want 4 distinct", ports)
	}
	f.injectOn(0, linkClient, fromClient(client(9), vip4).UDP(1000, 53).Bytes())
	f.poll(2 * second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoLocalPort) != 1 {
		t.Fatalf("fifth connection: %d frames sent, %d fullnat-no-local-port drops; want 0 and 1", n, f.drops(verdict.NoLocalPort))
	}
	if conns, conflicts := f.eng.LaddrStats(0); conns != 4 || conflicts != 1 {
		t.Fatalf("LaddrStats = %d conns, %d conflicts; want 4, 1", conns, conflicts)
	}
	if c := f.eng.Counters(); c.Conns != 4 {
		t.Fatalf("%d connections in the table, want the 4 made", c.Conns)
	}
	// Existing connections are unaffected.
	for i := 0; i < 4; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).UDP(1000, 53).Bytes())
		f.one(3 * second)
	}
	// After the UDP timeout (300 s) their ports come back.
	f.poll(400 * second)
	if conns, _ := f.eng.LaddrStats(0); conns != 0 {
		t.Fatalf("%d connections on the local address after expiry, want 0", conns)
	}
	f.injectOn(0, linkClient, fromClient(client(9), vip4).UDP(1000, 53).Bytes())
	f.one(401 * second)
	fc := f.eng.FullNATCounters()
	if fc.PortsAllocated != 5 || fc.PortsReleased != 4 || fc.BadReleases != 0 {
		t.Fatalf("counters %+v, want 5 allocated, 4 released", fc)
	}
	f.checkFrames()
}

// TestFullNATDeletedLocalAddress: a local address taken out of a service
// (kept in the snapshot unavailable while connections use it) gets no new
// connection; existing ones go on both ways.
func TestFullNATDeletedLocalAddress(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
	c := client(1)
	f.injectOn(0, linkClient, fromClient(c, vip4).UDP(1000, 53).Bytes())
	d := mustDecode(t, f.one(second).Frame)
	lport := binary.BigEndian.Uint16(d.L4[0:2])
	if d.Src != lipA4 {
		t.Fatalf("first connection from %v, want %v", d.Src, lipA4)
	}
	f.svcs[1].FullNAT.Laddrs = []uint32{1}
	f.laddrs[0].Available = false
	f.publishFN()
	for i := 0; i < 3; i++ {
		f.injectOn(0, linkClient, fromClient(client(10+i), vip4).UDP(1000, 53).Bytes())
		testpkt.Check(t, f.one(2*second).Frame, testpkt.Src(lipB4))
	}
	f.injectOn(0, linkClient, fromClient(c, vip4).UDP(1000, 53).Bytes())
	testpkt.Check(t, f.one(3*second).Frame, testpkt.Src(lipA4), testpkt.SrcPort(lport))
	f.injectOn(0, linkServer, toDirector(natRS1, lipA4).UDP(5353, lport).Bytes())
	testpkt.Check(t, f.one(3*second).Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.DstPort(1000), testpkt.ValidChecksums())
	if conns, _ := f.eng.LaddrStats(0); conns != 1 {
		t.Fatalf("deleted local address: %d connections, want 1", conns)
	}
}

// TestFullNATBadReplies: packets to a local address that match no
// connection are counted and dropped.
func TestFullNATBadReplies(t *testing.T) {
	f := newFullNAT(t, 2, 0, 0, snapshot.ClientAddrNone)
	f.injectOn(0, linkServer, toDirector(natRS1, lipA4).UDP(5353, 2000).Bytes())
	f.injectOn(1, linkServer, toDirector(natRS1, lipA4).TCP(8080, 2001, packet.TCPAck).Bytes())
	f.injectOn(0, linkServer, toDirector(natRS1, lipA4).SCTP(8080, 2002).Chunks(cData).Bytes())
	f.poll(1)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoConnection) != 2 || f.drops(verdict.UnsupportedProto) != 1 {
		t.Fatalf("%d sent, drops %v", n, f.eng.Counters().Drops)
	}
	f.checkFrames()
}

// handshake opens a TCP connection from c:sport to vip4:80 with ISN 1000
// (server ISN 5000) and returns the real server and local port.
func (f *fnFixture) handshake(t *testing.T, c netip.Addr, sport uint16, mss bool) (netip.Addr, uint16, []memport.Transmitted) {
	t.Helper()
	synB := fromClient(c, vip4).TCP(sport, 80, packet.TCPSyn).Seq(1000)
	if mss {
		synB = synB.TCPOptions([]byte{2, 4, 5, 0xb4})
	}
	f.injectOn(0, linkClient, synB.Bytes())
	s := f.one(1)
	d := mustDecode(t, s.Frame)
	rip, lport := d.Dst, binary.BigEndian.Uint16(d.L4[0:2])
	sa := toDirector(rip, lipA4).TCP(8080, lport, packet.TCPSyn|packet.TCPAck).Seq(5000).Ack(1001)
	if mss {
		sa = sa.TCPOptions([]byte{2, 4, 5, 0xb4})
	}
	f.injectOn(0, linkServer, sa.Bytes())
	sa2 := f.one(1)
	return rip, lport, []memport.Transmitted{s, sa2}
}

func mssOf(t *testing.T, frame []byte) uint16 {
	t.Helper()
	opts := header.TCP(mustDecode(t, frame).L4).Options()
	if len(opts) < 4 || opts[0] != 2 {
		t.Fatalf("no MSS option first: % x", opts)
	}
	return binary.BigEndian.Uint16(opts[2:])
}

func TestFullNATTOA(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrTOA)
	c := client(5)
	_, lport, hs := f.handshake(t, c, 4321, true)
	if got := mssOf(t, hs[0].Frame); got != 1460-8 {
		t.Errorf("SYN to the real server: MSS %d, want 1452", got)
	}
	if got := mssOf(t, hs[1].Frame); got != 1460-8 {
		t.Errorf("SYN-ACK to the client: MSS %d, want 1452", got)
	}
	wantTOA := []byte{254, 8, 0x10, 0xe1, 198, 19, 0, 5} // port 4321, 198.19.0.5
	segs := []struct {
		seq     uint32
		payload string
		toa     bool
	}{
		{1001, "", true},       // the handshake's ACK
		{1001, "GET /", true},  // the first data
		{1006, "more", false},  // later data
		{1001, "GET /", true},  // a retransmission of the first
		{1010, "again", false}, // later data
	}
	for i, s := range segs {
		f.injectOn(0, linkClient, fromClient(c, vip4).TCP(4321, 80, packet.TCPAck).Seq(s.seq).Ack(5001).Payload([]byte(s.payload)).Bytes())
		out := f.one(2)
		d := mustDecode(t, out.Frame)
		seg := header.TCP(d.L4)
		opts := seg.Options()
		if has := len(opts) >= 8 && bytes.Equal(opts[:8], wantTOA); has != s.toa {
			t.Fatalf("segment %d (seq %d): options % x, TOA wanted: %v", i, s.seq, opts, s.toa)
		}
		testpkt.Check(t, out.Frame, testpkt.Src(lipA4), testpkt.SrcPort(lport), testpkt.Seq(s.seq),
			testpkt.Payload([]byte(s.payload)), testpkt.ValidChecksums())
	}
	if fc := f.eng.FullNATCounters(); fc.TOAInserted != 3 || fc.MSSClamped != 2 {
		t.Fatalf("counters %+v, want 3 TOAs and 2 clamps", fc)
	}

	// An IPv6 client gets DPVS's 20-byte TOA.
	f.injectOn(0, linkClient, fromClient(cl6, vip6).TCP(4000, 80, packet.TCPSyn).Seq(1).Bytes())
	f.one(3)
	f.injectOn(0, linkClient, fromClient(cl6, vip6).TCP(4000, 80, packet.TCPAck).Seq(2).Bytes())
	opts := header.TCP(mustDecode(t, f.one(3).Frame).L4).Options()
	want6 := append([]byte{254, 20, 0x0f, 0xa0}, cl6.AsSlice()...)
	if len(opts) < 20 || !bytes.Equal(opts[:20], want6) {
		t.Fatalf("IPv6 TOA % x, want % x", opts, want6)
	}
}

// TestFullNATTOANoRoom: a segment whose options leave no room goes on
// without the TOA, counted.
func TestFullNATTOANoRoom(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrTOA)
	c := client(6)
	f.handshake(t, c, 1111, false)
	full := bytes.Repeat([]byte{1}, 36)
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(1111, 80, packet.TCPAck).Seq(1001).TCPOptions(full).Payload([]byte("x")).Bytes())
	out := f.one(2)
	testpkt.Check(t, out.Frame, testpkt.Payload([]byte("x")), testpkt.ValidChecksums())
	if fc := f.eng.FullNATCounters(); fc.TOASkipped != 1 || fc.TOAInserted != 0 {
		t.Fatalf("counters %+v, want one TOA skipped", fc)
	}
}

// proxyHeader4 is the PROXY v2 header of a TCP connection c:sport →
// vip4:80, written from the specification.
func proxyHeader4(c netip.Addr, sport uint16) []byte {
	h := []byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0, 12}
	h = append(h, c.AsSlice()...)
	h = append(h, vip4.AsSlice()...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(h, sport), 80)
}

func TestFullNATProxyV2Stream(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrProxyV2)
	c := client(8)
	rip, lport, hs := f.handshake(t, c, 5555, true)
	if got := mssOf(t, hs[0].Frame); got != 1460-28 {
		t.Errorf("SYN MSS %d, want 1432", got)
	}
	if got := mssOf(t, hs[1].Frame); got != 1460-28 {
		t.Errorf("SYN-ACK MSS %d, want 1432", got)
	}
	hdr := proxyHeader4(c, 5555)
	k := uint32(len(hdr))
	in := func(seq uint32, payload string) *testpkt.Frame {
		f.injectOn(0, linkClient, fromClient(c, vip4).TCP(5555, 80, packet.TCPAck).Seq(seq).Ack(5001).Payload([]byte(payload)).Bytes())
		out := f.one(2)
		testpkt.Check(t, out.Frame, testpkt.ValidChecksums())
		return mustDecode(t, out.Frame)
	}
	// The handshake's ACK carries nothing: unchanged.
	if d := in(1001, ""); header.TCP(d.L4).SequenceNumber() != 1001 || len(d.L4) != 20 {
		t.Fatalf("handshake ACK changed: seq %d", header.TCP(d.L4).SequenceNumber())
	}
	// The stream the real server reads: the header, then the client's bytes.
	var stream []byte
	for _, s := range []struct {
		seq     uint32
		payload string
		wantSeq uint32
	}{{1001, "hello ", 1001}, {1007, "world", 1007 + k}, {1012, "!", 1012 + k}} {
		d := in(s.seq, s.payload)
		seg := header.TCP(d.L4)
		if seg.SequenceNumber() != s.wantSeq {
			t.Fatalf("segment at %d reached the server at %d, want %d", s.seq, seg.SequenceNumber(), s.wantSeq)
		}
		stream = append(stream, seg.Payload()...)
	}
	if want := append(append([]byte{}, hdr...), "hello world!"...); !bytes.Equal(stream, want) {
		t.Fatalf("stream at the server\n got % x\nwant % x", stream, want)
	}
	// The server acknowledges everything and SACKs a block: both come
	// back in the client's numbers.
	sack := []byte{1, 1, 5, 10}
	sack = binary.BigEndian.AppendUint32(sack, 1013+k)
	sack = binary.BigEndian.AppendUint32(sack, 1020+k)
	f.injectOn(0, linkServer, toDirector(rip, lipA4).TCP(8080, lport, packet.TCPAck).Seq(5001).Ack(1013+k).TCPOptions(sack).Bytes())
	back := f.one(3)
	testpkt.Check(t, back.Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.Ack(1013), testpkt.ValidChecksums())
	opts := header.TCP(mustDecode(t, back.Frame).L4).Options()
	if l, r := binary.BigEndian.Uint32(opts[4:]), binary.BigEndian.Uint32(opts[8:]); l != 1013 || r != 1020 {
		t.Fatalf("SACK block %d-%d, want 1013-1020", l, r)
	}
	if fc := f.eng.FullNATCounters(); fc.ProxyInserted != 1 {
		t.Fatalf("%d headers inserted, want 1", fc.ProxyInserted)
	}
}

// TestFullNATProxyV2OutOfOrder: data beyond the first byte before the
// header went in is dropped (the client retransmits), never forwarded
// with a corrupted stream; the first segment then carries the header.
func TestFullNATProxyV2OutOfOrder(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrProxyV2)
	c := client(9)
	f.handshake(t, c, 6000, false)
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(6000, 80, packet.TCPAck).Seq(1006).Payload([]byte("later")).Bytes())
	f.poll(2)
	if n := len(f.sent()); n != 0 || f.drops(verdict.ProxyOutOfOrder) != 1 {
		t.Fatalf("out-of-order segment: %d sent, %d proxy-out-of-order drops", n, f.drops(verdict.ProxyOutOfOrder))
	}
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(6000, 80, packet.TCPAck).Seq(1001).Payload([]byte("first")).Bytes())
	seg := header.TCP(mustDecode(t, f.one(3).Frame).L4)
	if want := append(proxyHeader4(c, 6000), "first"...); !bytes.Equal(seg.Payload(), want) {
		t.Fatalf("first segment % x, want % x", seg.Payload(), want)
	}
	// A SYN with data (TCP Fast Open) cannot get the header in front.
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(6001, 80, packet.TCPSyn).Seq(7).Payload([]byte("tfo")).Bytes())
	f.poll(4)
	if f.drops(verdict.ProxySynData) != 1 {
		t.Fatalf("SYN with data not refused: drops %v", f.eng.Counters().Drops)
	}
	f.checkFrames()
}

func TestFullNATProxyV2UDP(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrProxyV2)
	c := client(4)
	for i := 0; i < 2; i++ {
		f.injectOn(0, linkClient, fromClient(c, vip4).UDP(7777, 53).Payload([]byte("query")).Bytes())
		out := f.one(1)
		testpkt.Check(t, out.Frame, testpkt.ValidChecksums())
		got := mustDecode(t, out.Frame).L4[8:]
		want := []byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x12, 0, 12}
		want = append(want, c.AsSlice()...)
		want = append(want, vip4.AsSlice()...)
		want = append(want, 0x1e, 0x61, 0, 53)
		if want = append(want, "query"...); !bytes.Equal(got, want) {
			t.Fatalf("datagram %d\n got % x\nwant % x", i, got, want)
		}
	}
}
