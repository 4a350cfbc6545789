package engine

import (
	"context"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// sipFixture is the standard fixture with service 1 (vip4:53 UDP, rr, rs1
// and rs2) made persistent with the SIP persistence engine, with one-packet
// scheduling when ops.
func sipFixture(t *testing.T, workers int, ops bool) *fixture {
	f := newFixture(t, workers, "rr")
	f.svcs[1].Flags = snapshot.SvcPersistent
	if ops {
		f.svcs[1].Flags |= snapshot.SvcOnePacket
	}
	f.svcs[1].PersistTimeout, f.svcs[1].Netmask, f.svcs[1].PE = 360, 0xffffffff, snapshot.PESIP
	f.publish()
	return f
}

// sipMsg is a SIP request of call callID from src:sport to the UDP service.
func sipMsg(src netip.Addr, sport uint16, callID string) []byte {
	msg := "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host\r\nCall-ID: " + callID + "\r\nCSeq: 1 INVITE\r\n\r\n"
	return testpkt.Eth(clientMAC, dirMAC).IPv4(src, vip4).UDP(sport, 53).Payload([]byte(msg)).Bytes()
}

// With one-packet scheduling every datagram is scheduled: one client's two
// calls from the same address and port go to different servers under rr,
// and every datagram of a call goes where its first went.
func TestSIPCallsStickOnePacket(t *testing.T) {
	f := sipFixture(t, 1, true)
	c := client(1)
	a := f.serverOf(0, sipMsg(c, 5060, "call-a@host"), 1)
	b := f.serverOf(0, sipMsg(c, 5060, "call-b@host"), 1)
	if a == b {
		t.Fatalf("two calls of one client went to the same server %x under rr", a)
	}
	for i := 0; i < 5; i++ {
		if got := f.serverOf(0, sipMsg(c, 5060, "call-a@host"), 2); got != a {
			t.Fatalf("datagram %d of call a went to %x, want %x", i, got, a)
		}
		if got := f.serverOf(0, sipMsg(c, 5060, "call-b@host"), 2); got != b {
			t.Fatalf("datagram %d of call b went to %x, want %x", i, got, b)
		}
	}
	if p := f.eng.DestStats(2).PersistConns + f.eng.DestStats(3).PersistConns; p != 2 {
		t.Errorf("PersistConns %d, want 2: one template per call", p)
	}
	f.checkFrames()
}

// Without one-packet scheduling, a call's datagram from a new client port
// (a new connection) finds the call's template; another call from the
// same client is scheduled.
func TestSIPCallsStickAcrossConnections(t *testing.T) {
	f := sipFixture(t, 1, false)
	c := client(7)
	a := f.serverOf(0, sipMsg(c, 5060, "1-2@example.com"), 1)
	b := f.serverOf(0, sipMsg(c, 5062, "3-4@example.com"), 1)
	if a == b {
		t.Fatalf("two calls went to the same server %x under rr", a)
	}
	if got := f.serverOf(0, sipMsg(c, 5064, "1-2@example.com"), 1); got != a {
		t.Errorf("call 1-2 from a new port went to %x, want its template's %x", got, a)
	}
	// The same Call-ID from another client is another call (the template
	// key holds the client address too, as ip_vs_sip_ct_match compares it).
	d := f.serverOf(0, sipMsg(client(8), 5060, "1-2@example.com"), 1)
	if d != a {
		t.Errorf("another client's call went to %x, want rr's third pick %x", d, a)
	}
	if p := f.eng.DestStats(2).PersistConns + f.eng.DestStats(3).PersistConns; p != 3 {
		t.Errorf("PersistConns %d, want 3 templates (two calls of one client, one of another)", p)
	}
}

// Packets the engine cannot key are dropped and counted, as IPVS drops a
// packet whose persistence engine fails.
func TestSIPRefusals(t *testing.T) {
	f := sipFixture(t, 1, true)
	// TCP to a SIP service.
	f.svcs[0].Flags, f.svcs[0].PersistTimeout, f.svcs[0].Netmask, f.svcs[0].PE = snapshot.SvcPersistent, 360, 0xffffffff, snapshot.PESIP
	f.publish()
	f.inject(0, syn(client(1), 1000, vip4))
	noCallID := testpkt.Eth(clientMAC, dirMAC).IPv4(client(1), vip4).UDP(5060, 53).
		Payload([]byte("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\n")).Bytes()
	f.inject(0, noCallID)
	empty := testpkt.Eth(clientMAC, dirMAC).IPv4(client(1), vip4).UDP(5060, 53).Bytes()
	f.inject(0, empty)
	f.poll(1)
	if out := f.sent(); len(out) != 0 {
		t.Errorf("%d frames forwarded, want none", len(out))
	}
	if n := f.drops(verdict.SIPNotUDP); n != 1 {
		t.Errorf("sip-not-udp %d, want 1", n)
	}
	if n := f.drops(verdict.SIPNoCallID); n != 2 {
		t.Errorf("sip-no-callid %d, want 2", n)
	}
	if c := f.eng.Counters(); c.Conns != 0 {
		t.Errorf("%d entries in the table, want 0", c.Conns)
	}
	f.checkFrames()
}

// A template found by its key whose stored Call-ID differs (a hash
// collision) does not join the calls: the packet's call gets a template of
// its own.
func TestSIPTemplateComparesCallID(t *testing.T) {
	f := sipFixture(t, 1, true)
	c := client(1)
	a := f.serverOf(0, sipMsg(c, 5060, "abc"), 1)
	w := f.eng.Workers()[0]
	n := 0
	for i := range w.pe {
		if w.pe[i].n > 0 {
			copy(w.pe[i].data[:], "xyz") // as if another call had this key
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
	if got := f.serverOf(0, sipMsg(c, 5060, "abc"), 1); got != other(a) {
		t.Errorf("went to %x, want a fresh schedule (%x)", got, other(a))
	}
}

// The listing shows a SIP template with the virtual address, client port
// 0, and the engine's name and data, as ipvsadm -L -c --persistent-conn
// shows IPVS's.
func TestSIPTemplateListed(t *testing.T) {
	f := sipFixture(t, 2, true)
	c := client(3)
	owner := f.eng.Workers()[0].ownerOf(&f.eng.Snapshot().Services[1], ptr(c.As16()), 5060)
	f.serverOf(owner, sipMsg(c, 5060, "a84b4c76e66710@pc33.example.com"), 1)
	conns, err := f.eng.ListConns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 {
		t.Fatalf("%d entries listed, want the template alone (one-packet connections go at once): %+v", len(conns), conns)
	}
	ci := conns[0]
	if ci.Flags&conntrack.FlagTemplate == 0 || ci.Client != c || ci.CPort != 0 || ci.Virtual != vip4 || ci.VPort != 53 ||
		ci.Proto != 17 || ci.PEName != "sip" || ci.PEData != "a84b4c76e66710@pc33.example.com" || ci.Worker != owner {
		t.Errorf("listed %+v", ci)
	}
}

// Every datagram of a SIP call is handled without allocating: extraction,
// template lookup and one-packet release.
func TestSIPAllocatesNothing(t *testing.T) {
	f := sipFixture(t, 1, true)
	f.ports[0].Recycle = true
	frames := [][]byte{sipMsg(client(1), 5060, "a@h"), sipMsg(client(1), 5060, "b@h"), sipMsg(client(2), 5060, "a@h")}
	w := f.eng.Workers()[0]
	now := int64(1)
	allocs := testing.AllocsPerRun(200, func() {
		for _, fr := range frames {
			f.inject(0, fr)
		}
		now += 1e6
		w.Poll(now)
	})
	if allocs != 0 {
		t.Errorf("SIP datagrams allocate %.1f times per batch, want 0", allocs)
	}
	if c := f.eng.Counters(); c.TxPackets < 600 || c.Drops[verdict.SIPNoCallID] != 0 {
		t.Fatalf("the test measured too little: %d sent, drops %v", c.TxPackets, c.Drops)
	}
}

// BenchmarkSIPDatagram measures one SIP datagram of a known call with
// one-packet scheduling: Call-ID extraction, template lookup, connection
// created and released.
func BenchmarkSIPDatagram(b *testing.B) {
	f := sipFixture(&testing.T{}, 1, true)
	f.ports[0].Recycle = true
	fr := sipMsg(client(1), 5060, "a84b4c76e66710@pc33.example.com")
	w := f.eng.Workers()[0]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.inject(0, fr)
		w.Poll(int64(i + 1))
	}
}
