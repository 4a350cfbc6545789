package engine

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// slotOf returns the destination slot (0 or 1: service 0 of the fixture)
// of real server MAC mac.
func slotOf(mac [6]byte) uint32 {
	if mac == rs2MAC {
		return 1
	}
	return 0
}

// expectCounts checks ActiveConn, InActConn and Conns (connections
// scheduled) of destination slot d.
func (f *fixture) expectCounts(step string, d uint32, active, inactive, conns uint64) {
	f.t.Helper()
	st := f.eng.DestStats(d)
	if st.ActiveConns != active || st.InactConns != inactive || st.Conns != conns {
		f.t.Errorf("%s: slot %d ActiveConn %d InActConn %d Conns %d, want %d %d %d",
			step, d, st.ActiveConns, st.InactConns, st.Conns, active, inactive, conns)
	}
}

func TestConnReuseSettings(t *testing.T) {
	f := newFixture(t, 1, "rr")
	if got := f.eng.ConnReuse(); got != (ConnReuse{Mode: 1}) || got != DefaultConnReuse() {
		t.Errorf("a new engine has %+v, want the kernel's defaults conn_reuse_mode=1 expire_nodest_conn=0", got)
	}
	want := ConnReuse{Mode: 3, ExpireNodestConn: true}
	if err := f.eng.SetConnReuse(want); err != nil || f.eng.ConnReuse() != want {
		t.Errorf("SetConnReuse(%+v): %v, reads back %+v", want, err, f.eng.ConnReuse())
	}
	for _, bad := range []int{-1, 4} {
		if err := f.eng.SetConnReuse(ConnReuse{Mode: bad}); !errors.Is(err, ErrConnReuseMode) {
			t.Errorf("mode %d: %v, want ErrConnReuseMode", bad, err)
		}
	}
	if f.eng.ConnReuse() != want {
		t.Errorf("a refused setting changed it to %+v", f.eng.ConnReuse())
	}
}

// TestConnReuseDirectRouting: a SYN from the client port of a DR
// connection (input-only, as IPVS's NOOUTPUT) is scheduled anew when the
// connection is in TIME_WAIT or CLOSE, and in FIN_WAIT with mode bit 2;
// otherwise it joins the connection on its real server. rr makes a
// reschedule visible: it goes to the other real server.
func TestConnReuseDirectRouting(t *testing.T) {
	cases := []struct {
		name    string
		mode    int
		before  []uint8 // segments after the first SYN
		state   conntrack.State
		resched bool
		after   conntrack.State // state once the SYN went through
	}{
		{"CLOSE after RST", 1, []uint8{packet.TCPAck, packet.TCPRst}, conntrack.StateClose, true, conntrack.StateSynRecv},
		{"TIME_WAIT after FIN in SYN_RECV", 1, []uint8{packet.TCPFin}, conntrack.StateTimeWait, true, conntrack.StateSynRecv},
		{"FIN_WAIT, mode 1", 1, []uint8{packet.TCPAck, packet.TCPFin | packet.TCPAck}, conntrack.StateFinWait, false, conntrack.StateSynRecv},
		{"FIN_WAIT, mode 2", 2, []uint8{packet.TCPAck, packet.TCPFin | packet.TCPAck}, conntrack.StateFinWait, true, conntrack.StateSynRecv},
		{"FIN_WAIT, mode 3", 3, []uint8{packet.TCPAck, packet.TCPFin | packet.TCPAck}, conntrack.StateFinWait, true, conntrack.StateSynRecv},
		{"CLOSE, mode 0", 0, []uint8{packet.TCPAck, packet.TCPRst}, conntrack.StateClose, false, conntrack.StateSynRecv},
		{"ESTABLISHED", 3, []uint8{packet.TCPAck}, conntrack.StateEstablished, false, conntrack.StateEstablished},
		{"SYN_RECV (no reuse, same server)", 1, nil, conntrack.StateSynRecv, false, conntrack.StateSynRecv},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 1, "rr")
			if err := f.eng.SetConnReuse(ConnReuse{Mode: c.mode}); err != nil {
				t.Fatal(err)
			}
			cl := client(9)
			first := f.serverOf(0, syn(cl, 4000, vip4), second)
			now := 2 * second
			for _, fl := range c.before {
				f.serverOf(0, tcpFrame(cl, 4000, vip4, fl, nil), now)
			}
			if e := f.conn(0); e.State != c.state {
				t.Fatalf("set-up: state %s, want %s", e.State, c.state)
			}
			now += second
			got := f.serverOf(0, syn(cl, 4000, vip4), now)
			e := f.conn(0)
			old, nw := slotOf(first), slotOf(other(first))
			if c.resched {
				if got != other(first) {
					t.Fatalf("the SYN went to %x, want the next real server %x (scheduled anew)", got, other(first))
				}
				f.expectCounts("old", old, 0, 0, 1)
				f.expectCounts("new", nw, 1, 0, 1)
				if x := f.eng.Counters().ConnsExpired; x != 1 {
					t.Errorf("conns expired %d, want 1 (the reused one)", x)
				}
				if e.Dest != nw || e.Expires != now+60*second {
					t.Errorf("entry: slot %d, expires in %ds; want slot %d and SYN_RECV's 60 s", e.Dest, (e.Expires-now)/second, nw)
				}
			} else {
				if got != first {
					t.Fatalf("the SYN went to %x, want the connection's real server %x", got, first)
				}
				if st := f.eng.DestStats(nw); st.Conns != 0 {
					t.Errorf("the other real server got %d connections, want 0", st.Conns)
				}
				if x := f.eng.Counters().ConnsExpired; x != 0 {
					t.Errorf("conns expired %d, want 0", x)
				}
			}
			if e.State != c.after {
				t.Errorf("state after the SYN %s, want %s", e.State, c.after)
			}
			f.checkFrames()
		})
	}
}

// TestConnReuseNAT: a NAT connection closed by both sides is in TIME_WAIT;
// a SYN from the same client port is a new connection on the next real
// server, whose reply is translated, while the old real server's tuple no
// longer reaches a connection.
func TestConnReuseNAT(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	c := client(3)
	steps := []struct {
		link  int
		flags uint8
	}{
		{linkClient, packet.TCPSyn}, {linkServer, packet.TCPSyn | packet.TCPAck}, {linkClient, packet.TCPAck},
		{linkServer, packet.TCPFin | packet.TCPAck}, {linkClient, packet.TCPFin | packet.TCPAck},
	}
	var rip netip.Addr
	for i, s := range steps {
		fr := fromClient(c, vip4).TCP(1234, 80, s.flags).Bytes()
		if s.link == linkServer {
			fr = fromServer(rip, c).TCP(8080, 1234, s.flags).Bytes()
		}
		f.injectOn(0, s.link, fr)
		out := f.one(int64(i+1) * second)
		if i == 0 {
			rip = mustDecode(t, out.Frame).Dst
		}
	}
	if e := f.conn(0); e.State != conntrack.StateTimeWait {
		t.Fatalf("state after both FINs %s, want TIME_WAIT", e.State)
	}
	f.injectOn(0, linkClient, fromClient(c, vip4).TCP(1234, 80, packet.TCPSyn).Bytes())
	rip2 := mustDecode(t, f.one(10*second).Frame).Dst
	if rip2 == rip {
		t.Fatalf("the new SYN went to %v again, want the next real server", rip)
	}
	f.injectOn(0, linkServer, fromServer(rip2, c).TCP(8080, 1234, packet.TCPSyn|packet.TCPAck).Bytes())
	testpkt.Check(t, f.one(11*second).Frame, testpkt.Src(vip4), testpkt.SrcPort(80), testpkt.Dst(c), testpkt.DstPort(1234), testpkt.ValidChecksums())
	f.injectOn(0, linkServer, fromServer(rip, c).TCP(8080, 1234, packet.TCPAck).Bytes())
	f.poll(12 * second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoConnection) != 1 {
		t.Errorf("the old real server's segment: %d sent, no-connection %d; want dropped", n, f.drops(verdict.NoConnection))
	}
	if e := f.conn(0); e.State != conntrack.StateSynAck && e.State != conntrack.StateSynRecv {
		t.Errorf("new connection in %s", e.State)
	}
	if l := f.eng.Workers()[0].ct.ReplyLen(); l != 1 {
		t.Errorf("%d reply keys, want 1 (the old one removed with its entry)", l)
	}
	f.checkFrames()
}

// TestConnReuseNotForPersistentConnections: a connection controlled by a
// persistence template is never reused (is_new_conn_expected: cp->control):
// the SYN joins the CLOSE connection, nothing is expired or scheduled.
func TestConnReuseNotForPersistentConnections(t *testing.T) {
	f := persistFixture(t, 1, 360, 0xffffffff)
	cl := client(5)
	first := f.serverOf(0, syn(cl, 4000, vip4), second)
	f.serverOf(0, tcpFrame(cl, 4000, vip4, packet.TCPAck, nil), 2*second)
	f.serverOf(0, tcpFrame(cl, 4000, vip4, packet.TCPRst, nil), 2*second)
	if got := f.serverOf(0, syn(cl, 4000, vip4), 3*second); got != first {
		t.Fatalf("SYN went to %x, want %x", got, first)
	}
	f.expectCounts("controlled", slotOf(first), 1, 0, 1)
	if x := f.eng.Counters().ConnsExpired; x != 0 {
		t.Errorf("conns expired %d, want 0: a controlled connection is not reused", x)
	}
	if p := f.eng.DestStats(slotOf(first)).PersistConns; p != 1 {
		t.Errorf("PersistConns %d, want 1", p)
	}
}

// TestConnReuseSCTPClosed: an INIT reaching a CLOSED association is a
// new association, scheduled anew; mode 0 moves the old one to INIT on
// its real server (sctp_states).
func TestConnReuseSCTPClosed(t *testing.T) {
	for _, mode := range []int{1, 0} {
		f := newFixture(t, 1, "rr")
		if err := f.eng.SetConnReuse(ConnReuse{Mode: mode}); err != nil {
			t.Fatal(err)
		}
		_, dests := f.addSCTPService(vip4, []netip.Addr{rs1, rs2}, 3868, snapshot.MethodRoute,
			snapshot.NextHop{Valid: true, SrcMAC: dirMAC, DstMAC: rs1MAC, MTU: 1500})
		from := testpkt.Eth(clientMAC, dirMAC).IPv4(client(4), vip4).SCTP(5000, 3868)
		f.inject(0, from.Chunks(cInit).Bytes())
		f.one(second)
		first := f.conn(0).Dest
		f.inject(0, from.Chunks(cCookieEcho, cAbort).Bytes())
		f.one(2 * second)
		if e := f.conn(0); e.State != conntrack.StateSCTPClosed {
			t.Fatalf("mode %d: state %s, want CLOSED", mode, e.State)
		}
		f.inject(0, from.Chunks(header.SCTPChunk{Type: header.SCTPChunkInit, Value: make([]byte, 16)}).Bytes())
		f.one(3 * second)
		e := f.conn(0)
		next := dests[0]
		if first == dests[0] {
			next = dests[1]
		}
		switch {
		case mode == 1 && (e.Dest != next || e.State != conntrack.StateSCTPInit1):
			t.Errorf("mode 1: the INIT is on slot %d in %s, want slot %d (scheduled anew) in INIT1", e.Dest, e.State, next)
		case mode == 0 && (e.Dest != first || e.State != conntrack.StateSCTPInit):
			t.Errorf("mode 0: the INIT is on slot %d in %s, want slot %d in INIT", e.Dest, e.State, first)
		}
		f.checkFrames()
	}
}

// deleteDest marks destination slot d deleted as the model publishes it:
// unavailable, out of its service's list.
func (f *fixture) deleteDest(d uint32) {
	f.dests[d].Available = false
	s := &f.svcs[f.dests[d].Service]
	var keep []uint32
	for _, x := range s.Dests {
		if x != d {
			keep = append(keep, x)
		}
	}
	s.Dests = keep
	f.publish()
}

// TestExpireNodestConnDeletedServer: packets of a connection whose real
// server was deleted are dropped while its timer runs (the default,
// expire_nodest_conn=0); with expire_nodest_conn the connection is
// expired and the packet scheduled anew — a UDP datagram or a SYN reaches
// the remaining server, a TCP segment without SYN is dropped as any
// segment without a connection.
func TestExpireNodestConnDeletedServer(t *testing.T) {
	t.Run("udp", func(t *testing.T) {
		f := newFixture(t, 1, "rr")
		dgram := testpktUDP(client(1), 7000, vip4, 53)
		first := f.serverOf(0, dgram, second)
		slot := 2 + slotOf(first)
		f.deleteDest(slot)
		f.inject(0, dgram)
		f.poll(2 * second)
		if n := len(f.sent()); n != 0 || f.drops(verdict.DestUnavailable) != 1 || f.conn(0).Dest != slot {
			t.Fatalf("default: %d sent, dest-unavailable %d; want the datagram dropped and the connection kept", n, f.drops(verdict.DestUnavailable))
		}
		if err := f.eng.SetConnReuse(ConnReuse{Mode: 1, ExpireNodestConn: true}); err != nil {
			t.Fatal(err)
		}
		if got := f.serverOf(0, dgram, 3*second); got != other(first) {
			t.Fatalf("with expire_nodest_conn the datagram went to %x, want %x", got, other(first))
		}
		f.expectCounts("deleted", slot, 0, 0, 1)
		f.expectCounts("remaining", 2+slotOf(other(first)), 0, 1, 1)
		f.checkFrames()
	})
	// The DR case an engineer met: the client's SYN was refused by the real
	// server (its RST goes straight to the client), the server is deleted,
	// the client reuses the port: the entry is in SYN_RECV, which is not
	// reusable, so IPVS drops the SYNs until SYN_RECV's 60 s run out —
	// unless expire_nodest_conn is on.
	for _, nodest := range []bool{false, true} {
		name := "syn, expire_nodest_conn=0"
		if nodest {
			name = "syn, expire_nodest_conn=1"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, 1, "rr")
			if err := f.eng.SetConnReuse(ConnReuse{Mode: 1, ExpireNodestConn: nodest}); err != nil {
				t.Fatal(err)
			}
			cl := client(2)
			first := f.serverOf(0, syn(cl, 4100, vip4), second)
			f.deleteDest(slotOf(first))
			f.inject(0, syn(cl, 4100, vip4))
			f.poll(2 * second)
			out := f.sent()
			if !nodest {
				if len(out) != 0 || f.drops(verdict.DestUnavailable) != 1 || f.conn(0).State != conntrack.StateSynRecv {
					t.Fatalf("%d sent, dest-unavailable %d; want the SYN dropped, the entry left in SYN_RECV", len(out), f.drops(verdict.DestUnavailable))
				}
				// Its timer runs out after 60 s, then the port works again.
				f.poll(62 * second)
				f.poll(62 * second)
				if got := f.serverOf(0, syn(cl, 4100, vip4), 63*second); got != other(first) {
					t.Errorf("after SYN_RECV expired the SYN went to %x, want %x", got, other(first))
				}
			} else if len(out) != 1 || dstMAC(out[0].Frame) != other(first) {
				t.Fatalf("%d sent; want the SYN scheduled to the remaining server", len(out))
			}
			f.expectCounts("deleted", slotOf(first), 0, 0, 1)
			f.expectCounts("remaining", slotOf(other(first)), 1, 0, 1)
		})
	}
	t.Run("ack", func(t *testing.T) {
		f := newFixture(t, 1, "rr")
		if err := f.eng.SetConnReuse(ConnReuse{Mode: 1, ExpireNodestConn: true}); err != nil {
			t.Fatal(err)
		}
		cl := client(3)
		first := f.serverOf(0, syn(cl, 4200, vip4), second)
		f.serverOf(0, tcpFrame(cl, 4200, vip4, packet.TCPAck, nil), second)
		f.deleteDest(slotOf(first))
		f.inject(0, tcpFrame(cl, 4200, vip4, packet.TCPAck, []byte("data")))
		f.poll(2 * second)
		if n := len(f.sent()); n != 0 || f.drops(verdict.NotSyn) != 1 || f.eng.Workers()[0].ct.Len() != 0 {
			t.Fatalf("%d sent, tcp-not-syn %d, %d entries; want the connection expired and the segment dropped",
				n, f.drops(verdict.NotSyn), f.eng.Workers()[0].ct.Len())
		}
		f.expectCounts("deleted", slotOf(first), 0, 0, 1)
		f.checkFrames()
	})
}

// TestExpireNodestConnQuiescedServer: a real server at weight 0 keeps its
// connections (a SYN on an ESTABLISHED one stays there) unless
// expire_nodest_conn is on, when the SYN expires the connection and is
// scheduled to a server with weight.
func TestExpireNodestConnQuiescedServer(t *testing.T) {
	for _, nodest := range []bool{false, true} {
		f := newFixture(t, 1, "rr")
		if err := f.eng.SetConnReuse(ConnReuse{Mode: 1, ExpireNodestConn: nodest}); err != nil {
			t.Fatal(err)
		}
		cl := client(6)
		first := f.serverOf(0, syn(cl, 4300, vip4), second)
		f.serverOf(0, tcpFrame(cl, 4300, vip4, packet.TCPAck, nil), second)
		f.dests[slotOf(first)].Weight = 0
		f.publish()
		if got := f.serverOf(0, tcpFrame(cl, 4300, vip4, packet.TCPAck, []byte("x")), 2*second); got != first {
			t.Fatalf("nodest %v: a segment of the quiesced server's connection went to %x, want %x", nodest, got, first)
		}
		got := f.serverOf(0, syn(cl, 4300, vip4), 3*second)
		want := first
		if nodest {
			want = other(first)
		}
		if got != want {
			t.Errorf("nodest %v: the SYN went to %x, want %x", nodest, got, want)
		}
	}
}

// TestConnReuseAllocatesNothing: reusing a connection (ACK, RST, then a
// SYN from the same port: expire, schedule, insert) allocates nothing, nor
// does the check on an ordinary datagram. (Expiring a deleted server's
// connection is the same code; deleting needs a new snapshot, whose
// first batch rebuilds scheduler state.)
func TestConnReuseAllocatesNothing(t *testing.T) {
	f := newFixture(t, 1, "rr")
	if err := f.eng.SetConnReuse(ConnReuse{Mode: 1, ExpireNodestConn: true}); err != nil {
		t.Fatal(err)
	}
	ack := tcpFrame(client(1), 5000, vip4, packet.TCPAck, nil)
	rst := tcpFrame(client(1), 5000, vip4, packet.TCPRst, nil)
	s := syn(client(1), 5000, vip4)
	dgram := testpktUDP(client(1), 5000, vip4, 53)
	f.serverOf(0, s, 1)
	f.serverOf(0, dgram, 1)
	f.ports[0].Recycle = true
	now := int64(2)
	allocs := testing.AllocsPerRun(200, func() {
		f.ports[0].Inject(0, ack)
		f.ports[0].Inject(0, rst)
		f.ports[0].Inject(0, s)
		f.ports[0].Inject(0, dgram)
		now += 1e6
		f.eng.Workers()[0].Poll(now)
	})
	if allocs != 0 {
		t.Errorf("Poll allocates %.1f times per batch with reused connections, want 0", allocs)
	}
	if x := f.eng.Counters().ConnsExpired; x < 200 {
		t.Fatalf("only %d connections reused: the test measured too little", x)
	}
}

// BenchmarkConnReuse: one connection reused over and over, three segments
// per op (ACK, RST, then the SYN that expires and schedules anew).
func BenchmarkConnReuse(b *testing.B) {
	f := newFixture(b, 1, "rr")
	ack := tcpFrame(client(1), 5000, vip4, packet.TCPAck, nil)
	rst := tcpFrame(client(1), 5000, vip4, packet.TCPRst, nil)
	s := syn(client(1), 5000, vip4)
	f.serverOf(0, s, 1)
	f.ports[0].Recycle = true
	w := f.eng.Workers()[0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.ports[0].Inject(0, ack)
		f.ports[0].Inject(0, rst)
		f.ports[0].Inject(0, s)
		w.Poll(int64(i + 2))
	}
	b.StopTimer()
	if x := f.eng.Counters().ConnsExpired; x < uint64(b.N) {
		b.Fatalf("%d reuses for %d ops", x, b.N)
	}
}
