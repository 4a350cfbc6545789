package engine

import (
	"encoding/binary"
	"testing"

	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// oneFixture is the FULLNAT fixture with its UDP service (vip4:53) made
// one-packet and given a second real server (natRS2:5353, slot 5).
func oneFixture(t *testing.T, flags uint32) *fnFixture {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
	f.dests = append(f.dests, snapshot.Dest{ID: 5, Service: 1, Addr: natRS2.As16(), Port: 5353, Method: snapshot.MethodFullNAT,
		Weight: 1, Available: true, NextHop: snapshot.NextHop{Valid: true, Link: linkServer, SrcMAC: dirSMAC, DstMAC: rs2MAC, MTU: 1500}})
	f.svcs[1].Dests = []uint32{2, 5}
	f.svcs[1].Flags = flags
	f.svcs[1].PersistTimeout, f.svcs[1].Netmask = 60, 0xffffffff
	f.publishFN()
	return f
}

// -o with FULLNAT: every datagram of one client flow is scheduled with a
// local port of its own, and each one's reply still reaches the client
// through its own connection, which the reply releases.
func TestFullNATOnePacketRepliesReachTheClient(t *testing.T) {
	f := oneFixture(t, snapshot.SvcOnePacket)
	c := client(7)
	query := func(now int64, q string) (rip testpkt.Frame, lport uint16) {
		t.Helper()
		f.injectOn(0, linkClient, fromClient(c, vip4).UDP(40000, 53).Payload([]byte(q)).Bytes())
		d := mustDecode(t, f.one(now).Frame)
		testpkt.CheckIP(t, d.IP, testpkt.Src(lipA4), testpkt.DstPort(5353), testpkt.Payload([]byte(q)), testpkt.ValidChecksums())
		return *d, binary.BigEndian.Uint16(d.L4[0:2])
	}
	a, la := query(second, "query-a")
	b, lb := query(second+second/10, "query-b")
	if a.Dst == b.Dst || la == lb {
		t.Fatalf("two datagrams of one flow: %v:%d and %v:%d; want each scheduled (rr) with its own port", a.Dst, la, b.Dst, lb)
	}
	if l := f.eng.Workers()[0].ct.Len(); l != 2 {
		t.Fatalf("%d connections wait for replies, want 2", l)
	}
	// The first server answers: the client gets it from the VIP.
	f.injectOn(0, linkServer, toDirector(a.Dst, lipA4).UDP(5353, la).Payload([]byte("answer-a")).Bytes())
	testpkt.Check(t, f.one(second+second/5).Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.SrcPort(53),
		testpkt.DstPort(40000), testpkt.Payload([]byte("answer-a")), testpkt.ValidChecksums())
	// The reply released its connection: a second one finds nothing.
	f.injectOn(0, linkServer, toDirector(a.Dst, lipA4).UDP(5353, la).Payload([]byte("again")).Bytes())
	f.poll(second + second/4)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoConnection) != 1 {
		t.Fatalf("second reply: %d sent, %d no-connection drops; want 0 and 1", n, f.drops(verdict.NoConnection))
	}
	if conns, _ := f.eng.LaddrStats(0); conns != 1 {
		t.Fatalf("%d connections on the local address, want the one waiting", conns)
	}
	// The second server stays silent past the window: its port comes back.
	f.poll(second + second/10 + oneReplyWindow + 1)
	f.injectOn(0, linkServer, toDirector(b.Dst, lipA4).UDP(5353, lb).Payload([]byte("late")).Bytes())
	f.poll(8 * second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoConnection) != 2 {
		t.Fatalf("late reply: %d sent, %d no-connection drops; want 0 and 2", n, f.drops(verdict.NoConnection))
	}
	fc := f.eng.FullNATCounters()
	if conns, _ := f.eng.LaddrStats(0); conns != 0 || fc.PortsAllocated != 2 || fc.PortsReleased != 2 || fc.BadReleases != 0 {
		t.Fatalf("local address conns %d, counters %+v; want 0 and 2 ports allocated and released", conns, fc)
	}
	if st := f.eng.DestStats(2); st.InactConns+st.ActiveConns != 0 || st.Conns != 1 {
		t.Fatalf("real server counts %+v, want one scheduled, none left", st)
	}
	if l := f.eng.Workers()[0].ct.Len(); l != 0 {
		t.Fatalf("%d connections left", l)
	}
	f.checkFrames()
}

// A datagram that was not sent (no next hop) frees its port at once, as a
// non-FULLNAT one-packet connection does.
func TestFullNATOnePacketDroppedDatagramKeepsNothing(t *testing.T) {
	f := oneFixture(t, snapshot.SvcOnePacket)
	f.dests[2].NextHop.Valid, f.dests[5].NextHop.Valid = false, false
	f.publishFN()
	f.injectOn(0, linkClient, fromClient(client(7), vip4).UDP(40000, 53).Bytes())
	f.poll(second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.NoNextHop) != 1 {
		t.Fatalf("%d sent, %d no-next-hop drops", n, f.drops(verdict.NoNextHop))
	}
	if l, fc := f.eng.Workers()[0].ct.Len(), f.eng.FullNATCounters(); l != 0 || fc.PortsReleased != 1 {
		t.Fatalf("%d connections kept, %d ports released; want 0 and 1", l, fc.PortsReleased)
	}
	f.checkFrames()
}

// -p -o with FULLNAT: the template pins the client; the one-packet
// connections waiting for replies never count as its connections, so
// their release leaves the template's own deadline alone.
func TestFullNATPersistentOnePacket(t *testing.T) {
	f := oneFixture(t, snapshot.SvcPersistent|snapshot.SvcOnePacket)
	c := client(7)
	var first testpkt.Frame
	for i := 0; i < 4; i++ {
		f.injectOn(0, linkClient, fromClient(c, vip4).UDP(uint16(40000+i), 53).Bytes())
		d := mustDecode(t, f.one(second+int64(i)*second/10).Frame)
		if i == 0 {
			first = *d
		} else if d.Dst != first.Dst {
			t.Fatalf("datagram %d went to %v, the template says %v", i, d.Dst, first.Dst)
		}
		// Answer every other one.
		if i%2 == 0 {
			f.injectOn(0, linkServer, toDirector(d.Dst, lipA4).UDP(5353, binary.BigEndian.Uint16(d.L4[0:2])).Bytes())
			testpkt.Check(t, f.one(second+int64(i)*second/10).Frame, testpkt.Dst(c), testpkt.DstPort(uint16(40000+i)))
		}
	}
	// The unanswered ones go after the window; the template stays to its
	// own deadline (60 s after the last datagram).
	f.poll(10 * second)
	if l := f.eng.Workers()[0].ct.Len(); l != 1 {
		t.Fatalf("%d entries after the window, want the template alone", l)
	}
	f.poll(62 * second)
	if l := f.eng.Workers()[0].ct.Len(); l != 0 {
		t.Fatalf("%d entries after the persistence timeout, want 0", l)
	}
	if fc := f.eng.FullNATCounters(); fc.PortsAllocated != 4 || fc.PortsReleased != 4 {
		t.Fatalf("counters %+v", fc)
	}
	f.checkFrames()
}
