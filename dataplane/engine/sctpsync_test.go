package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// sctpSyncFixture is a director with one SCTP DR service vip4:3868 over rs1
// (rs1MAC) and rs2 (rs2MAC).
func sctpSyncFixture(t *testing.T, workers int) (*fixture, []uint32) {
	f := newFixture(t, workers, "rr")
	_, dests := f.addSCTPService(vip4, []netip.Addr{rs1, rs2}, 3868, snapshot.MethodRoute,
		snapshot.NextHop{Valid: true, SrcMAC: dirMAC, DstMAC: rs1MAC, MTU: 1500})
	f.dests[dests[1]].NextHop.DstMAC = rs2MAC
	f.publish()
	return f, dests
}

// An SCTP association is synced as IPVS syncs it (ESTABLISHED at its 3rd
// inbound packet, a SHUTDOWN state at once), and a backup that imported it
// forwards the association's DATA to the same real server without an
// INIT.
func TestSyncSCTPAssociation(t *testing.T) {
	master, _ := sctpSyncFixture(t, 1)
	master.eng.SetSyncMaster(true)
	c := client(7)
	pkt := func(ch ...header.SCTPChunk) []byte {
		return testpkt.Eth(clientMAC, dirMAC).IPv4(c, vip4).SCTP(40000, 3868).Chunks(ch...).Bytes()
	}
	rs := master.serverOf(0, pkt(cInit), second)
	master.serverOf(0, pkt(cCookieEcho, cData), second) // packet 2: ESTABLISHED
	if got := master.drain(); len(got) != 0 {
		t.Fatalf("synced after 2 packets: %+v", got)
	}
	master.serverOf(0, pkt(cData), second) // packet 3
	recs := master.drain()
	if len(recs) != 1 {
		t.Fatalf("after 3 packets %d records, want 1", len(recs))
	}
	wantDest := rs1
	if rs == rs2MAC {
		wantDest = rs2
	}
	want := SyncConn{Client: c.As16(), Virtual: vip4.As16(), Dest: wantDest.As16(), CPort: 40000, VPort: 3868, DPort: 3868,
		Proto: 132, Family: 4, State: conntrack.StateSCTPEstablished, Method: snapshot.MethodRoute, Timeout: 900}
	if recs[0] != want {
		t.Fatalf("record %+v\nwant %+v", recs[0], want)
	}
	master.serverOf(0, pkt(cShutdown), second)
	shut := master.drain()
	if len(shut) != 1 || shut[0].State != conntrack.StateSCTPShutdownReceived || shut[0].Timeout != 61 {
		t.Fatalf("after SHUTDOWN: %+v, want one S-RECEIVED record with 61 s", shut)
	}

	backup, dests := sctpSyncFixture(t, 2)
	if r := backup.eng.ImportSync(&recs[0]); r != ImportQueued {
		t.Fatalf("import: %v", r)
	}
	backup.poll(2 * second)
	d0, d1 := backup.eng.DestStats(dests[0]), backup.eng.DestStats(dests[1])
	if d0.ActiveConns+d1.ActiveConns != 1 || d0.Conns+d1.Conns != 0 {
		t.Fatalf("backup dest stats %+v %+v: want one active, none scheduled", d0, d1)
	}
	// After failover the association's DATA arrives on either worker.
	for w := 0; w < 2; w++ {
		if got := backup.serverOf(w, pkt(cData), 3*second); got != rs {
			t.Fatalf("DATA on worker %d went to %x, want %x", w, got, rs)
		}
	}
	if backup.drops(verdict.SCTPNotInit) != 0 || backup.eng.Counters().ConnsCreated != 1 {
		t.Fatalf("sctp-not-init %d, created %d", backup.drops(verdict.SCTPNotInit), backup.eng.Counters().ConnsCreated)
	}
	// The update carries SHUTDOWN's state over and the counts move.
	backup.eng.ImportSync(&shut[0])
	backup.poll(4 * second)
	d0, d1 = backup.eng.DestStats(dests[0]), backup.eng.DestStats(dests[1])
	if d0.ActiveConns+d1.ActiveConns != 0 || d0.InactConns+d1.InactConns != 1 {
		t.Fatalf("after the update: %+v %+v, want one inactive", d0, d1)
	}
	backup.checkFrames()
}

// States outside SCTP's, for an SCTP connection, are refused.
func TestSyncSCTPImportRefusesOtherStates(t *testing.T) {
	f, _ := sctpSyncFixture(t, 1)
	c := SyncConn{Client: client(1).As16(), Virtual: vip4.As16(), Dest: rs1.As16(), CPort: 1, VPort: 3868, DPort: 3868,
		Proto: 132, Family: 4, Method: snapshot.MethodRoute}
	for _, tc := range []struct {
		s    conntrack.State
		want ImportResult
	}{
		{conntrack.StateSCTPCookieEchoed, ImportQueued},
		{conntrack.StateNone, ImportQueued},
		{conntrack.StateEstablished, ImportBadState},
		{conntrack.StateUDP, ImportBadState},
	} {
		c.State = tc.s
		if got := f.eng.ImportSync(&c); got != tc.want {
			t.Errorf("state %v: %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FULLNAT connections are never queued for the master: the sync protocol
// cannot carry their local address and port.
func TestSyncSkipsFullNAT(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
	f.eng.SetSyncMaster(true)
	c := client(3)
	for i, flags := range []uint8{packet.TCPSyn, packet.TCPAck, packet.TCPAck, packet.TCPAck, packet.TCPFin | packet.TCPAck} {
		f.injectOn(0, linkClient, fromClient(c, vip4).TCP(5000, 80, flags).Seq(uint32(100+i)).Bytes())
		f.one(second)
	}
	for i := 0; i < 5; i++ {
		f.injectOn(0, linkClient, fromClient(c, vip4).UDP(uint16(6000), 53).Bytes())
		f.one(second)
	}
	if recs := f.drain(); len(recs) != 0 {
		t.Fatalf("FULLNAT connections queued for the master: %+v", recs)
	}
	if sc := f.eng.SyncCounters(); sc.Queued != 0 {
		t.Fatalf("sync counters %+v", sc)
	}
}
