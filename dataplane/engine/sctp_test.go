package engine

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// chunk is an SCTP chunk of type typ with an n-byte value.
func chunk(typ uint8, n int) header.SCTPChunk {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(typ + uint8(i))
	}
	return header.SCTPChunk{Type: typ, Value: v}
}

// The chunks of an association, with realistic value sizes.
var (
	cInit         = chunk(header.SCTPChunkInit, 16)
	cInitAck      = chunk(header.SCTPChunkInitAck, 40)
	cCookieEcho   = chunk(header.SCTPChunkCookieEcho, 36)
	cCookieAck    = chunk(header.SCTPChunkCookieAck, 0)
	cData         = header.SCTPChunk{Type: header.SCTPChunkData, Flags: 3, Value: append(make([]byte, 12), "hello sctp"...)}
	cSack         = chunk(header.SCTPChunkSack, 12)
	cShutdown     = chunk(header.SCTPChunkShutdown, 4)
	cShutdownAck  = chunk(header.SCTPChunkShutdownAck, 0)
	cShutdownDone = chunk(header.SCTPChunkShutdownComplete, 0)
	cAbort        = chunk(header.SCTPChunkAbort, 0)
)

// addSCTPService adds service slot svc, SCTP vip:3868, with one real
// server per (addr, port) in dest slots from the next free slot on, by
// method m and with next hop nh.
func (f *fixture) addSCTPService(vip netip.Addr, rips []netip.Addr, rport uint16, m snapshot.Method, nh snapshot.NextHop) (svc uint32, dests []uint32) {
	svc = uint32(len(f.svcs))
	fam := uint8(4)
	if vip.Is6() {
		fam = 6
	}
	s := snapshot.Service{ID: svc, Proto: header.IPProtoSCTP, Family: fam, Addr: vip.As16(), Port: 3868, Sched: "rr"}
	for _, rip := range rips {
		id := uint32(len(f.dests))
		f.dests = append(f.dests, snapshot.Dest{ID: id, Service: svc, Addr: rip.As16(), Port: rport, Method: m, Weight: 1, Available: true, NextHop: nh})
		s.Dests = append(s.Dests, id)
		dests = append(dests, id)
	}
	f.svcs = append(f.svcs, s)
	f.publish()
	return svc, dests
}

// conn returns worker w's only connection.
func (f *fixture) conn(w int) conntrack.Entry {
	f.t.Helper()
	var e conntrack.Entry
	n := 0
	f.eng.Workers()[w].ct.Range(func(_ int32, x *conntrack.Entry) bool { e = *x; n++; return true })
	if n != 1 {
		f.t.Fatalf("worker %d holds %d connections, want 1", w, n)
	}
	return e
}

// expectConn checks the connection's state, its timer (now + the state's
// timeout) and its real server's active/inactive counts.
func (f *fixture) expectConn(step string, now int64, state conntrack.State, timeout int64, active, inactive uint64) {
	f.t.Helper()
	e := f.conn(0)
	if e.State != state || e.Expires != now+timeout*second {
		f.t.Errorf("%s: state %s, expires in %.1fs; want %s and %ds", step, e.State, float64(e.Expires-now)/1e9, state, timeout)
	}
	st := f.eng.DestStats(e.Dest)
	if st.ActiveConns != active || st.InactConns != inactive {
		f.t.Errorf("%s: ActiveConn %d InActConn %d, want %d %d", step, st.ActiveConns, st.InactConns, active, inactive)
	}
}

// TestSCTPDirectRoutingAssociation: IPv4 and IPv6 DR. Only an INIT
// schedules; the association moves through IPVS's input-only table with
// its timeouts; frames leave with only the MACs changed (CRC untouched);
// the connection is active while ESTABLISHED and expires 61 s after
// CLOSED.
func TestSCTPDirectRoutingAssociation(t *testing.T) {
	for _, vip := range []netip.Addr{vip4, vip6} {
		t.Run(vip.String(), func(t *testing.T) {
			f := newFixture(t, 1, "rr")
			rips := []netip.Addr{rs1, rs2}
			if vip.Is6() {
				rips = []netip.Addr{netip.MustParseAddr("fd00:18::11"), netip.MustParseAddr("fd00:18::12")}
			}
			_, dests := f.addSCTPService(vip, rips, 3868, snapshot.MethodRoute,
				snapshot.NextHop{Valid: true, SrcMAC: dirMAC, DstMAC: rs1MAC, MTU: 1500})
			cl := client(7)
			if vip.Is6() {
				cl = netip.MustParseAddr("fd00:19::7")
			}
			from := testpkt.Eth(clientMAC, dirMAC).IPv4(cl, vip)
			if vip.Is6() {
				from = testpkt.Eth(clientMAC, dirMAC).IPv6(cl, vip)
			}
			pkt := func(c ...header.SCTPChunk) []byte { return from.SCTP(40000, 3868).Chunks(c...).Bytes() }

			// No connection: DATA and ABORT are not scheduled.
			f.inject(0, pkt(cData))
			f.inject(0, pkt(cAbort))
			f.poll(second)
			if n := len(f.sent()); n != 0 || f.drops(verdict.SCTPNotInit) != 2 {
				t.Fatalf("sent %d, sctp-not-init %d; want 0 and 2", n, f.drops(verdict.SCTPNotInit))
			}

			now := 2 * second
			steps := []struct {
				name      string
				chunks    []header.SCTPChunk
				state     conntrack.State
				timeout   int64
				act, inac uint64
			}{
				{"INIT", []header.SCTPChunk{cInit}, conntrack.StateSCTPInit1, 4, 0, 1},
				{"INIT again", []header.SCTPChunk{cInit}, conntrack.StateSCTPInit, 61, 0, 1},
				{"COOKIE ECHO with DATA", []header.SCTPChunk{cCookieEcho, cData}, conntrack.StateSCTPEstablished, 900, 1, 0},
				{"DATA", []header.SCTPChunk{cData}, conntrack.StateSCTPEstablished, 900, 1, 0},
				{"SACK", []header.SCTPChunk{cSack}, conntrack.StateSCTPEstablished, 900, 1, 0},
				{"SHUTDOWN", []header.SCTPChunk{cShutdown}, conntrack.StateSCTPShutdownReceived, 61, 0, 1},
				{"SHUTDOWN COMPLETE", []header.SCTPChunk{cShutdownDone}, conntrack.StateSCTPClosed, 61, 0, 1},
			}
			var rs [6]byte
			for i, st := range steps {
				now += second
				in := pkt(st.chunks...)
				f.inject(0, in)
				out := f.one(now).Frame
				if i == 0 {
					rs = dstMAC(out)
				}
				if dstMAC(out) != rs || srcMAC(out) != dirMAC || !bytes.Equal(out[12:], in[12:]) {
					t.Fatalf("%s: sent to %x from %x, bytes after the MACs changed: %v", st.name, dstMAC(out), srcMAC(out), !bytes.Equal(out[12:], in[12:]))
				}
				testpkt.Check(t, out, testpkt.Dst(vip), testpkt.DstPort(3868), testpkt.ValidChecksums())
				f.expectConn(st.name, now, st.state, st.timeout, st.act, st.inac)
			}
			if st := f.eng.DestStats(dests[0]); st.Conns+f.eng.DestStats(dests[1]).Conns != 1 {
				t.Errorf("%d connections scheduled, want 1", st.Conns)
			}
			// CLOSED lasts 61 s, then the entry goes and so does its count.
			f.poll(now + 60*second)
			if f.eng.Workers()[0].ct.Len() != 1 {
				t.Fatalf("connection gone before CLOSED's 61 s")
			}
			for i := 0; i < 1<<7 && f.eng.Workers()[0].ct.Len() > 0; i++ {
				f.poll(now + 62*second)
			}
			e := f.eng.DestStats(dests[0])
			e2 := f.eng.DestStats(dests[1])
			if f.eng.Workers()[0].ct.Len() != 0 || e.InactConns+e2.InactConns+e.ActiveConns+e2.ActiveConns != 0 {
				t.Errorf("after expiry: %d connections, counts %+v %+v", f.eng.Workers()[0].ct.Len(), e, e2)
			}
			f.checkFrames()
		})
	}
}

// TestSCTPNATAssociation: a NAT association with the port mapped 3868 →
// 13868, handshake, data both ways and the client's shutdown, through
// IPVS's input and output tables; every frame leaves with a valid CRC32c
// and its chunks untouched.
func TestSCTPNATAssociation(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	_, dests := f.addSCTPService(vip4, []netip.Addr{natRS2}, 13868, snapshot.MethodMasq, f.dests[1].NextHop)
	c := client(9)
	in := func(ch ...header.SCTPChunk) []byte { return fromClient(c, vip4).SCTP(5000, 3868).Chunks(ch...).Bytes() }
	reply := func(ch ...header.SCTPChunk) []byte {
		return fromServer(natRS2, c).SCTP(13868, 5000).Chunks(ch...).Bytes()
	}
	chunksOf := func(ch ...header.SCTPChunk) []byte {
		var b []byte
		for _, x := range ch {
			b = header.AppendSCTPChunk(b, x)
		}
		return b
	}
	steps := []struct {
		name      string
		reply     bool
		chunks    []header.SCTPChunk
		state     conntrack.State
		timeout   int64
		act, inac uint64
	}{
		{"INIT", false, []header.SCTPChunk{cInit}, conntrack.StateSCTPInit1, 4, 0, 1},
		{"INIT ACK", true, []header.SCTPChunk{cInitAck}, conntrack.StateSCTPCookieSent, 61, 0, 1},
		{"COOKIE ECHO", false, []header.SCTPChunk{cCookieEcho}, conntrack.StateSCTPCookieReplied, 61, 0, 1},
		{"COOKIE ACK", true, []header.SCTPChunk{cCookieAck}, conntrack.StateSCTPEstablished, 900, 1, 0},
		{"DATA in", false, []header.SCTPChunk{cData}, conntrack.StateSCTPEstablished, 900, 1, 0},
		{"SACK and DATA out", true, []header.SCTPChunk{cSack, cData}, conntrack.StateSCTPEstablished, 900, 1, 0},
		{"SHUTDOWN", false, []header.SCTPChunk{cShutdown}, conntrack.StateSCTPShutdownReceived, 61, 0, 1},
		{"SHUTDOWN ACK", true, []header.SCTPChunk{cShutdownAck}, conntrack.StateSCTPShutdownAckSent, 61, 0, 1},
		{"SHUTDOWN COMPLETE", false, []header.SCTPChunk{cShutdownDone}, conntrack.StateSCTPClosed, 61, 0, 1},
	}
	now := int64(0)
	for _, st := range steps {
		now += second
		if st.reply {
			f.injectOn(0, linkServer, reply(st.chunks...))
			out := f.one(now)
			testpkt.Check(t, out.Frame, testpkt.DstMAC(routerMAC), testpkt.Src(vip4), testpkt.Dst(c), testpkt.SrcPort(3868),
				testpkt.DstPort(5000), testpkt.Payload(chunksOf(st.chunks...)), testpkt.ValidChecksums())
			if out.Link != linkClient {
				t.Errorf("%s left by link %d, want the client's", st.name, out.Link)
			}
		} else {
			f.injectOn(0, linkClient, in(st.chunks...))
			out := f.one(now)
			testpkt.Check(t, out.Frame, testpkt.Src(c), testpkt.Dst(natRS2), testpkt.SrcPort(5000), testpkt.DstPort(13868),
				testpkt.Payload(chunksOf(st.chunks...)), testpkt.ValidChecksums())
		}
		f.expectConn(st.name, now, st.state, st.timeout, st.act, st.inac)
	}
	if st := f.eng.DestStats(dests[0]); st.Conns != 1 || st.InPkts != 5 || st.OutPkts != 4 {
		t.Errorf("real server stats %+v, want 1 connection, 5 packets in, 4 out", st)
	}
	f.checkFrames()
}

// TestSCTPNATKeepsABadChecksumBad: a packet corrupted before the director
// must not leave with a fresh, valid CRC; one whose port does not change
// is not touched at all.
func TestSCTPNATKeepsABadChecksumBad(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	f.addSCTPService(vip4, []netip.Addr{natRS2}, 13868, snapshot.MethodMasq, f.dests[1].NextHop)
	bad := fromClient(client(1), vip4).SCTP(5000, 3868).Chunks(cInit).L4Checksum(0x1234).Bytes()
	f.injectOn(0, linkClient, bad)
	out := mustDecode(t, f.one(1).Frame)
	if out.Proto != header.IPProtoSCTP || header.SCTP(out.L4).DestinationPort() != 13868 || header.SCTP(out.L4).IsChecksumValid() {
		t.Errorf("corrupted INIT left with port %d and a valid checksum", header.SCTP(out.L4).DestinationPort())
	}

	g := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	g.addSCTPService(vip4, []netip.Addr{natRS2}, 3868, snapshot.MethodMasq, g.dests[1].NextHop)
	in := fromClient(client(1), vip4).SCTP(5000, 3868).Chunks(cInit).L4Checksum(0x1234).Bytes()
	g.injectOn(0, linkClient, in)
	o := mustDecode(t, g.one(1).Frame)
	if !bytes.Equal(o.L4, in[34:]) {
		t.Errorf("same port: SCTP bytes changed\n% x\nwant\n% x", o.L4, in[34:])
	}
}

// TestSCTPRejectedAndAbortedAssociations: an INIT answered with ABORT is
// REJECTED for 4 s (NAT); in DR a COOKIE ECHO bundled with an ABORT is the
// ABORT and closes the connection.
func TestSCTPRejectedAndAbortedAssociations(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	f.addSCTPService(vip4, []netip.Addr{natRS2}, 13868, snapshot.MethodMasq, f.dests[1].NextHop)
	c := client(4)
	f.injectOn(0, linkClient, fromClient(c, vip4).SCTP(5000, 3868).Chunks(cInit).Bytes())
	f.one(second)
	f.injectOn(0, linkServer, fromServer(natRS2, c).SCTP(13868, 5000).Chunks(header.SCTPChunk{Type: header.SCTPChunkAbort, Flags: 1}).Bytes())
	f.one(2 * second)
	f.expectConn("ABORT", 2*second, conntrack.StateSCTPRejected, 4, 0, 1)

	g := newFixture(t, 1, "rr")
	g.addSCTPService(vip4, []netip.Addr{rs1}, 3868, snapshot.MethodRoute, snapshot.NextHop{Valid: true, SrcMAC: dirMAC, DstMAC: rs1MAC, MTU: 1500})
	from := testpkt.Eth(clientMAC, dirMAC).IPv4(c, vip4).SCTP(5000, 3868)
	g.inject(0, from.Chunks(cInit).Bytes())
	g.one(second)
	g.inject(0, from.Chunks(cCookieEcho, cAbort).Bytes())
	g.one(2 * second)
	g.expectConn("COOKIE ECHO + ABORT", 2*second, conntrack.StateSCTPClosed, 61, 0, 1)
}

// TestSCTPTunnel: an SCTP INIT leaves in IPIP with the inner packet as it
// came, and the connection follows the input-only table.
func TestSCTPTunnel(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunIPIP)
	f.addSCTPService(vip4, []netip.Addr{natRS2}, 3868, snapshot.MethodTunnel, f.dests[1].NextHop)
	in := fromClient(client(5), vip4).SCTP(5000, 3868).Chunks(cInit).Bytes()
	f.injectOn(0, linkClient, in)
	out := f.one(second).Frame
	testpkt.Check(t, out, testpkt.Dst(natRS2), testpkt.Proto(header.IPProtoIPIP),
		testpkt.Inner(testpkt.Src(client(5)), testpkt.Dst(vip4), testpkt.DstPort(3868), testpkt.ValidChecksums()))
	f.injectOn(0, linkClient, fromClient(client(5), vip4).SCTP(5000, 3868).Chunks(cCookieEcho).Bytes())
	f.one(2 * second)
	f.expectConn("COOKIE ECHO", 2*second, conntrack.StateSCTPEstablished, 900, 1, 0)
}

// TestSCTPAllocatesNothing guards the SCTP paths: new associations (INIT),
// established ones, drops (not INIT), NAT both ways with port rewrites and
// replies handed to the other worker.
func TestSCTPAllocatesNothing(t *testing.T) {
	f := newTwoArmed(t, 2, snapshot.MethodMasq, 0)
	for _, p := range f.ports {
		p.Recycle = true
	}
	f.addSCTPService(vip4, []netip.Addr{natRS2}, 13868, snapshot.MethodMasq, f.dests[1].NextHop)
	type injected struct {
		w, link int
		frame   []byte
		portOff int // offset of the client port to renumber
	}
	frames := []injected{
		{0, linkClient, fromClient(client(1), vip4).SCTP(1, 3868).Chunks(cInit).Bytes(), 34},
		{1, linkServer, fromServer(natRS2, client(1)).SCTP(13868, 1).Chunks(cInitAck).Bytes(), 36},
		{0, linkClient, fromClient(client(1), vip4).SCTP(1, 3868).Chunks(cCookieEcho, cData).Bytes(), 34},
		{0, linkClient, fromClient(client(2), vip4).SCTP(2, 3868).Chunks(cData).Bytes(), -1},
	}
	run := 0
	now := int64(1)
	allocs := testing.AllocsPerRun(200, func() {
		run++
		for _, in := range frames {
			if in.portOff > 0 { // a new association every run
				in.frame[in.portOff], in.frame[in.portOff+1] = byte(run>>8), byte(run)
				p := header.SCTP(in.frame[34:])
				p.SetChecksum(p.CalculateChecksum())
			}
			f.injectOn(in.w, in.link, in.frame)
			if in.w == 0 && in.portOff > 0 {
				f.poll(now) // the INIT reaches its owner before the reply
			}
		}
		now += 1e6
		f.poll(now)
	})
	if allocs != 0 {
		t.Errorf("an SCTP batch allocates %.1f times, want 0", allocs)
	}
	c := f.eng.Counters()
	if c.ConnsCreated < 200 || c.Drops[verdict.SCTPNotInit] < 200 || c.TxPackets < 600 || c.HandoffOut == 0 {
		t.Fatalf("the test measured too little: %d conns, %d sctp-not-init, %d sent, %d handoffs (drops %v)",
			c.ConnsCreated, c.Drops[verdict.SCTPNotInit], c.TxPackets, c.HandoffOut, c.Drops)
	}
}

// BenchmarkSCTPNAT measures established SCTP NAT associations, 64 per
// batch, with DATA chunks of 64 and 1200 bytes: inbound (port 3868 →
// 13868, CRC32c summed twice) and replies, against the same port
// unchanged (no CRC work).
func BenchmarkSCTPNAT(b *testing.B) {
	for _, c := range []struct {
		name  string
		rport uint16
		size  int
		reply bool
	}{
		{"in-port-mapped-64B", 13868, 64, false},
		{"in-port-mapped-1200B", 13868, 1200, false},
		{"reply-port-mapped-1200B", 13868, 1200, true},
		{"in-same-port-1200B", 3868, 1200, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newTwoArmed(b, 1, snapshot.MethodMasq, 0)
			f.addSCTPService(vip4, []netip.Addr{natRS2}, c.rport, snapshot.MethodMasq, f.dests[1].NextHop)
			data := header.SCTPChunk{Type: header.SCTPChunkData, Value: make([]byte, c.size)}
			var in, out [][]byte
			for i := 0; i < 64; i++ {
				cl, sport := client(i), uint16(1000+i)
				f.injectOn(0, linkClient, fromClient(cl, vip4).SCTP(sport, 3868).Chunks(cInit).Bytes())
				f.one(1)
				in = append(in, fromClient(cl, vip4).SCTP(sport, 3868).Chunks(data).Bytes())
				out = append(out, fromServer(natRS2, cl).SCTP(c.rport, sport).Chunks(data).Bytes())
			}
			if c.reply {
				replay(b, f, linkServer, out)
			} else {
				replay(b, f, linkClient, in)
			}
		})
	}
}
