package engine

import (
	"context"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// drain returns every record the workers queued for the master.
func (f *fixture) drain() []SyncConn {
	buf := make([]SyncConn, 64)
	var out []SyncConn
	for {
		n := f.eng.DrainSync(buf)
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

// sendTCP pushes one client packet of flow c:sport → vip4:80 through
// worker 0 and returns where it went.
func (f *fixture) sendTCP(c netip.Addr, sport uint16, flags uint8, now int64) [6]byte {
	f.t.Helper()
	return f.serverOf(0, tcpFrame(c, sport, vip4, flags, []byte("data")), now)
}

// A TCP connection is synced as IPVS syncs it: not during the handshake,
// at its 3rd inbound packet in ESTABLISHED, at the 53rd, and at once when
// it enters FIN_WAIT; nothing while the master is off.
func TestSyncExportFollowsIPVSThreshold(t *testing.T) {
	f := newFixture(t, 1, "rr")
	c := client(7)
	f.serverOf(0, syn(c, 1000, vip4), second)
	f.eng.SetSyncMaster(true)
	rs := f.sendTCP(c, 1000, packet.TCPAck, second) // packet 2: ESTABLISHED
	if got := f.drain(); len(got) != 0 {
		t.Fatalf("synced after 2 packets: %+v", got)
	}
	f.sendTCP(c, 1000, packet.TCPAck, second) // packet 3
	got := f.drain()
	if len(got) != 1 {
		t.Fatalf("after 3 packets %d records, want 1", len(got))
	}
	r := got[0]
	wantDest := rs1
	if rs == rs2MAC {
		wantDest = rs2
	}
	want := SyncConn{Client: c.As16(), Virtual: vip4.As16(), Dest: wantDest.As16(), CPort: 1000, VPort: 80, DPort: 80,
		Proto: 6, Family: 4, State: conntrack.StateEstablished, Method: snapshot.MethodRoute, Timeout: 900}
	if r != want {
		t.Fatalf("record %+v\nwant %+v", r, want)
	}
	for i := 4; i <= 52; i++ {
		f.sendTCP(c, 1000, packet.TCPAck, second)
	}
	if got := f.drain(); len(got) != 0 {
		t.Fatalf("synced between packets 4 and 52: %d records", len(got))
	}
	f.sendTCP(c, 1000, packet.TCPAck, second) // 53
	if got := f.drain(); len(got) != 1 {
		t.Fatalf("packet 53: %d records, want 1", len(got))
	}
	f.sendTCP(c, 1000, packet.TCPFin|packet.TCPAck, second) // FIN_WAIT (input-only table): at once
	got = f.drain()
	if len(got) != 1 || got[0].State != conntrack.StateFinWait || got[0].Timeout != 120 {
		t.Fatalf("FIN: %+v, want one FIN_WAIT record with timeout 120", got)
	}
	f.sendTCP(c, 1000, packet.TCPAck, second) // still FIN_WAIT, packet 55
	f.eng.SetSyncMaster(false)
	for i := 0; i < 60; i++ {
		f.sendTCP(c, 1000, packet.TCPAck, second)
	}
	if got := f.drain(); len(got) != 0 {
		t.Fatalf("master off: %d records", len(got))
	}
	if sc := f.eng.SyncCounters(); sc.Queued != 3 || sc.RingFull != 0 {
		t.Fatalf("counters %+v, want 3 queued", sc)
	}
}

// UDP connections are synced at their 3rd datagram; one-packet ones never.
func TestSyncExportUDPAndOnePacket(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.eng.SetSyncMaster(true)
	c := client(3)
	for i := 0; i < 3; i++ {
		f.serverOf(0, testpktUDP(c, 5000, vip4, 53), second)
	}
	got := f.drain()
	if len(got) != 1 || got[0].State != conntrack.StateUDP || got[0].Timeout != 300 || got[0].Proto != 17 || got[0].DPort != 53 {
		t.Fatalf("UDP: %+v", got)
	}
	f.svcs[1].Flags = snapshot.SvcOnePacket
	f.publish()
	for i := 0; i < 5; i++ {
		f.serverOf(0, testpktUDP(c, 5001, vip4, 53), second)
	}
	if got := f.drain(); len(got) != 0 {
		t.Fatalf("one-packet connections synced: %+v", got)
	}
}

// A full export ring drops and counts; the packets still go through.
func TestSyncExportRingFullCounts(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.eng.SetSyncMaster(true)
	n := syncOutSize + 10
	for i := 0; i < n; i++ {
		c := client(i)
		for k := 0; k < 3; k++ {
			f.inject(0, testpktUDP(c, 6000, vip4, 53))
		}
		f.poll(second)
		f.sent()
	}
	sc := f.eng.SyncCounters()
	if sc.Queued != uint64(syncOutSize) || sc.RingFull != 10 {
		t.Fatalf("queued %d ring-full %d, want %d and 10", sc.Queued, sc.RingFull, syncOutSize)
	}
	if got := len(f.drain()); got != syncOutSize {
		t.Fatalf("drained %d", got)
	}
	f.checkFrames()
}

// A persistent connection is sent after its template, which carries the
// masked client, client port 0 and the persistence timeout.
func TestSyncExportSendsTemplateFirst(t *testing.T) {
	f := persistFixture(t, 1, 600, 0xffffff00)
	f.eng.SetSyncMaster(true)
	c := netip.MustParseAddr("198.19.5.77")
	f.serverOf(0, syn(c, 1000, vip4), second)
	f.sendTCP(c, 1000, packet.TCPAck, second)
	f.sendTCP(c, 1000, packet.TCPAck, second)
	got := f.drain()
	if len(got) != 2 {
		t.Fatalf("%d records, want template and connection", len(got))
	}
	tm, cn := got[0], got[1]
	if tm.Flags != conntrack.FlagTemplate || tm.Client != netip.MustParseAddr("198.19.5.0").As16() || tm.CPort != 0 ||
		tm.VPort != 80 || tm.Timeout != 600 || tm.State != conntrack.StateNone || tm.Dest != cn.Dest {
		t.Fatalf("template %+v", tm)
	}
	if cn.Flags != 0 || cn.Client != c.As16() || cn.CPort != 1000 || cn.State != conntrack.StateEstablished {
		t.Fatalf("connection %+v", cn)
	}
}

// The backup: connections handed to ImportSync appear in the owner
// worker's table with the master's state, timeout and real server, count
// as that server's connections, and forward their next packets there on
// any worker without being scheduled, and without a SYN.
func TestSyncImportForwardsWithoutScheduling(t *testing.T) {
	master := newFixture(t, 1, "rr")
	master.eng.SetSyncMaster(true)
	var recs []SyncConn
	servers := map[uint16][6]byte{}
	for i := 0; i < 8; i++ {
		c, sport := client(100+i), uint16(2000+i)
		servers[sport] = master.serverOf(0, syn(c, sport, vip4), second)
		master.sendTCP(c, sport, packet.TCPAck, second)
		master.sendTCP(c, sport, packet.TCPAck, second)
	}
	recs = master.drain()
	if len(recs) != 8 {
		t.Fatalf("master queued %d, want 8", len(recs))
	}
	backup := newFixture(t, 2, "rr")
	for i := range recs {
		if r := backup.eng.ImportSync(&recs[i]); r != ImportQueued {
			t.Fatalf("import %d: %v", i, r)
		}
	}
	now := 5 * second
	backup.poll(now)
	conns, err := backup.eng.ListConns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 8 {
		t.Fatalf("backup lists %d connections, want 8", len(conns))
	}
	for _, ci := range conns {
		if ci.State != conntrack.StateEstablished || ci.Expires <= 899*1e9 || ci.Expires > 900*1e9 {
			t.Errorf("%v:%d state %v expires %v", ci.Client, ci.CPort, ci.State, ci.Expires)
		}
		k := [16]byte(ci.Client.As16())
		if want := backup.eng.Workers()[0].ownerOf(&backup.eng.Snapshot().Services[0], &k, ci.CPort); ci.Worker != want {
			t.Errorf("%v:%d on worker %d, owner %d", ci.Client, ci.CPort, ci.Worker, want)
		}
	}
	d0, d1 := backup.eng.DestStats(0), backup.eng.DestStats(1)
	if d0.ActiveConns+d1.ActiveConns != 8 || d0.Conns+d1.Conns != 0 {
		t.Fatalf("dest stats %+v %+v: want 8 active, none scheduled", d0, d1)
	}
	for i := 0; i < 8; i++ {
		c, sport := client(100+i), uint16(2000+i)
		// Arrive on either worker: the owner forwards.
		backup.inject(i%2, tcpFrame(c, sport, vip4, packet.TCPAck, []byte("after failover")))
		backup.poll(now)
		out := backup.sent()
		if len(out) != 1 || dstMAC(out[0].Frame) != servers[sport] {
			t.Fatalf("flow %d after failover: %d frames (drops %v)", i, len(out), backup.eng.Counters().Drops)
		}
	}
	if backup.drops(verdict.NotSyn) != 0 || backup.eng.Counters().ConnsCreated != 8 {
		t.Fatalf("not-syn drops %d, created %d", backup.drops(verdict.NotSyn), backup.eng.Counters().ConnsCreated)
	}
	// An update moves the state and the active count.
	upd := recs[0]
	upd.State, upd.Timeout = conntrack.StateFinWait, 120
	backup.eng.ImportSync(&upd)
	backup.poll(now)
	d0, d1 = backup.eng.DestStats(0), backup.eng.DestStats(1)
	if d0.ActiveConns+d1.ActiveConns != 7 || d0.InactConns+d1.InactConns != 1 {
		t.Fatalf("after update: %+v %+v", d0, d1)
	}
	if sc := backup.eng.SyncCounters(); sc.Imported != 8 || sc.Updated != 1 || sc.Import[ImportQueued] != 9 {
		t.Fatalf("sync counters %+v", sc)
	}
	backup.checkFrames()
}

// Received connections the backup cannot bind are refused with a reason.
func TestSyncImportRefusals(t *testing.T) {
	f := newFixture(t, 1, "rr")
	base := SyncConn{Client: client(1).As16(), Virtual: vip4.As16(), Dest: rs1.As16(), CPort: 1, VPort: 80, DPort: 80,
		Proto: 6, Family: 4, State: conntrack.StateEstablished, Timeout: 900}
	cases := []struct {
		name string
		edit func(c *SyncConn)
		want ImportResult
	}{
		{"ok", func(c *SyncConn) {}, ImportQueued},
		{"no service", func(c *SyncConn) { c.VPort = 81 }, ImportNoService},
		{"no dest", func(c *SyncConn) { c.Dest = netip.MustParseAddr("198.18.0.99").As16() }, ImportNoDest},
		{"udp state for tcp", func(c *SyncConn) { c.State = conntrack.StateUDP }, ImportBadState},
		{"sctp", func(c *SyncConn) { c.Proto = 132 }, ImportBadState},
		{"template with state", func(c *SyncConn) { c.Flags = conntrack.FlagTemplate }, ImportBadState},
	}
	for _, tc := range cases {
		c := base
		tc.edit(&c)
		if got := f.eng.ImportSync(&c); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A real server deleted between ImportSync and the worker: stale.
	f.dests[0].Available = false
	f.publish()
	f.poll(second)
	if sc := f.eng.SyncCounters(); sc.Stale != 1 || sc.Imported != 0 {
		t.Fatalf("counters %+v, want the queued one stale", sc)
	}
}

// A persistent service's template and connection imported in the master's
// order: the template pins the client's next connection on the backup.
func TestSyncImportTemplatePinsNewConnections(t *testing.T) {
	master := persistFixture(t, 1, 600, 0xffffffff)
	master.eng.SetSyncMaster(true)
	c := client(9)
	rs := master.serverOf(0, syn(c, 1000, vip4), second)
	master.sendTCP(c, 1000, packet.TCPAck, second)
	master.sendTCP(c, 1000, packet.TCPAck, second)
	recs := master.drain()
	backup := persistFixture(t, 2, 600, 0xffffffff)
	for i := range recs {
		backup.eng.ImportSync(&recs[i])
	}
	backup.poll(second)
	if p := backup.eng.DestStats(0).PersistConns + backup.eng.DestStats(1).PersistConns; p != 1 {
		t.Fatalf("backup has %d templates", p)
	}
	// New connections of the client go to the template's server every
	// time, although rr would alternate.
	for i := 0; i < 4; i++ {
		if got := backup.serverOf(i%2, syn(c, uint16(3000+i), vip4), 2*second); got != rs {
			t.Fatalf("new connection %d went to %v, template says %v", i, got, rs)
		}
	}
}

// TestSyncPathsAllocateNothing guards export (counting, the sync decision,
// templates, the ring), draining, importing and applying imports.
func TestSyncPathsAllocateNothing(t *testing.T) {
	master := persistFixture(t, 2, 600, 0xffffffff)
	backup := persistFixture(t, 2, 600, 0xffffffff)
	for _, p := range append(master.ports, backup.ports...) {
		p.Recycle = true
	}
	master.eng.SetSyncMaster(true)
	buf := make([]SyncConn, 64)
	frames := make([][]byte, 0, 4)
	frames = append(frames, syn(client(1), 1, vip4))
	for i := 0; i < 2; i++ {
		frames = append(frames, tcpFrame(client(1), 1, vip4, packet.TCPAck, []byte("x")))
	}
	frames = append(frames, testpktUDP(client(2), 2, vip4, 53))
	run, imported := 0, 0
	allocs := testing.AllocsPerRun(200, func() {
		run++
		for i, fr := range frames {
			fr[34], fr[35] = byte(run>>8), byte(run) // a new client port: a new connection
			master.ports[i%2].Inject(0, fr)
			for _, w := range master.eng.Workers() {
				w.Poll(int64(run) * 1e6)
			}
		}
		n := master.eng.DrainSync(buf)
		for i := 0; i < n; i++ {
			if backup.eng.ImportSync(&buf[i]) == ImportQueued {
				imported++
			}
		}
		for _, w := range backup.eng.Workers() {
			w.Poll(int64(run) * 1e6)
		}
	})
	if allocs != 0 {
		t.Errorf("sync paths allocate %.1f times per run, want 0", allocs)
	}
	if sc := backup.eng.SyncCounters(); imported < 200 || sc.Imported < 200 {
		t.Fatalf("the test measured too little: %d imported, counters %+v", imported, sc)
	}
}

// BenchmarkSyncImport measures a backup taking a received connection:
// ImportSync (service and real server lookup, owner, ring) and the
// worker's insert.
func BenchmarkSyncImport(b *testing.B) {
	f := newFixture(b, 1, "rr")
	c := SyncConn{Virtual: vip4.As16(), Dest: rs1.As16(), VPort: 80, DPort: 80,
		Proto: 6, Family: 4, State: conntrack.StateEstablished, Timeout: 900}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Client = client(i & 0xffff).As16()
		c.CPort = uint16(i >> 16)
		f.eng.ImportSync(&c)
		if i%64 == 63 {
			f.eng.Workers()[0].Poll(second)
		}
	}
}
