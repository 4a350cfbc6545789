package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Resource exhaustion: every bounded resource of the per-packet path
// refuses with its own drop reason, loses no frame, and serves again once
// there is room. (The handoff ring, the FULLNAT port pool, the NAT reply
// pool and the sync export ring have their tests beside their features:
// handoff_test.go, fullnat_test.go, replycap_test.go, sync_test.go.)

// destCounts sums the active and inactive counts of every destination.
func destCounts(f *fixture) (active, inactive, persist uint64) {
	for i := range f.dests {
		s := f.eng.DestStats(f.dests[i].ID)
		active += s.ActiveConns
		inactive += s.InactConns
		persist += s.PersistConns
	}
	return active, inactive, persist
}

// A full connection table with only live entries refuses new connections
// (conntrack-full) and keeps forwarding the ones it has; once entries
// have expired (not yet swept), a new connection reclaims one, and the
// reclaimed entry's counts, FULLNAT port and template go with it.
func TestConnTableFullRefusesThenReclaims(t *testing.T) {
	f := newFullNAT(t, 1, 40000, 40099, snapshot.ClientAddrNone)
	w := f.eng.Workers()[0]
	w.ct = conntrack.NewWithReplies(4, 4, 1)
	for i := 0; i < 4; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).TCP(1000, 80, packet.TCPSyn).Bytes())
		f.one(second)
	}
	f.injectOn(0, linkClient, fromClient(client(9), vip4).TCP(1000, 80, packet.TCPSyn).Bytes())
	f.poll(second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.ConnTableFull) != 1 {
		t.Fatalf("fifth connection: sent %d, conntrack-full %d; want 0 and 1", n, f.drops(verdict.ConnTableFull))
	}
	fc := f.eng.FullNATCounters()
	if fc.PortsAllocated != 5 || fc.PortsReleased != 1 {
		t.Fatalf("refused connection: ports %+v, want its port taken and given back", fc)
	}
	// The four live connections go on.
	for i := 0; i < 4; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).TCP(1000, 80, packet.TCPAck).Bytes())
		f.one(2 * second)
	}
	// ESTABLISHED times out after 900 s. Worker 0 is not polled in
	// between, so the entries are expired but still in the table: the
	// next SYN reclaims one of them before the batch's sweep.
	f.injectOn(0, linkClient, fromClient(client(9), vip4).TCP(1000, 80, packet.TCPSyn).Bytes())
	f.one(1000 * second)
	c := f.eng.Counters()
	if c.ConnsExpired == 0 || c.Drops[verdict.ConnTableFull] != 1 {
		t.Fatalf("after reclaim: expired %d, conntrack-full %d", c.ConnsExpired, c.Drops[verdict.ConnTableFull])
	}
	a, in, _ := destCounts(f.fixture)
	if uint64(w.ct.Len()) != a+in {
		t.Fatalf("%d entries, destinations count %d active + %d inactive", w.ct.Len(), a, in)
	}
	fc = f.eng.FullNATCounters()
	if conns, _ := f.eng.LaddrStats(0); fc.PortsAllocated-fc.PortsReleased != conns || conns != uint64(w.ct.Len()) || fc.BadReleases != 0 {
		t.Fatalf("ports %+v, %d on the local address, %d entries", fc, conns, w.ct.Len())
	}
	f.poll(3000 * second)
	if a, in, _ := destCounts(f.fixture); a|in != 0 || w.ct.Len() != 0 {
		t.Fatalf("after expiry: %d entries, %d active, %d inactive", w.ct.Len(), a, in)
	}
	f.checkFrames()
}

// A persistent service on a full table: the template needs an entry of
// its own, and a table full of live entries refuses it (conntrack-full)
// without leaving a half-made template or a count behind.
func TestConnTableFullPersistentTemplate(t *testing.T) {
	f := persistFixture(t, 1, 600, 0xffffffff)
	w := f.eng.Workers()[0]
	w.ct = conntrack.NewWithReplies(3, 0, 1)
	f.serverOf(0, syn(client(1), 1000, vip4), second) // template + connection
	f.serverOf(0, syn(client(1), 1001, vip4), second) // the same template
	f.inject(0, syn(client(2), 1000, vip4))           // needs a template and a connection
	f.poll(second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.ConnTableFull) != 1 {
		t.Fatalf("sent %d, conntrack-full %d; want 0 and 1", n, f.drops(verdict.ConnTableFull))
	}
	if a, in, p := destCounts(f); a+in != 2 || p != 1 || w.ct.Len() != 3 {
		t.Fatalf("%d entries; %d active, %d inactive, %d templates; want 3; 2 connections, 1 template", w.ct.Len(), a, in, p)
	}
	f.poll(4000 * second)
	f.poll(4001 * second)
	if a, in, p := destCounts(f); a|in|p != 0 || w.ct.Len() != 0 {
		t.Fatalf("after expiry: %d entries, counts %d %d %d", w.ct.Len(), a, in, p)
	}
	f.checkFrames()
}

// A full TX ring takes what it can; the rest are counted (tx-ring-full)
// and their frames go back to the pool.
func TestTxRingFullCountedAndFramesFreed(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.ports[0].TxLimit = 2
	for i := 0; i < 5; i++ {
		f.inject(0, syn(client(i), 1000, vip4))
	}
	f.poll(second)
	c := f.eng.Counters()
	if n := len(f.sent()); n != 2 || c.TxPackets != 2 || c.Drops[verdict.TxRingFull] != 3 {
		t.Fatalf("sent %d, tx %d, tx-ring-full %d; want 2, 2, 3", n, c.TxPackets, c.Drops[verdict.TxRingFull])
	}
	f.checkFrames()
	f.ports[0].TxLimit = 0
	f.inject(0, syn(client(9), 1000, vip4))
	f.poll(2 * second)
	if n := len(f.sent()); n != 1 {
		t.Fatalf("after the ring drained: sent %d, want 1", n)
	}
	f.checkFrames()
}

// A worker whose frames are all in flight cannot take a handed-off frame:
// the frame is counted (handoff-ring-full) and its slot freed, so the
// ring keeps moving and nothing is leaked on either side.
func TestHandoffReceiverOutOfFrames(t *testing.T) {
	f := newFixture(t, 2, "rr")
	var own1 []int // clients owned by worker 1
	for i := 0; len(own1) < 1024+40; i++ {
		if owner(ptr16(client(i).As16()), 1000, 2) == 1 {
			own1 = append(own1, i)
		}
	}
	held, mine := own1[:1024], own1[1024:]
	// Worker 1 transmits 1024 frames that the test does not take back:
	// its pool is empty.
	for k := 0; k < len(held); k += 64 {
		for _, i := range held[k : k+64] {
			f.inject(1, syn(client(i), 1000, vip4))
		}
		f.eng.Workers()[1].Poll(second)
	}
	if free := f.ports[1].FreeFrames(); free != 0 {
		t.Fatalf("worker 1 has %d free frames, want 0", free)
	}
	for _, i := range mine {
		f.inject(0, syn(client(i), 1000, vip4))
	}
	f.poll(second)
	c1 := f.eng.WorkerCounters(1)
	if c1.Drops[verdict.HandoffFull] != uint64(len(mine)) || c1.HandoffIn != 0 {
		t.Fatalf("worker 1: handoff-ring-full %d, handoff-in %d; want %d and 0", c1.Drops[verdict.HandoffFull], c1.HandoffIn, len(mine))
	}
	f.sent()
	f.checkFrames()
	// With frames back, handoffs go through.
	f.inject(0, syn(client(mine[0]), 1000, vip4))
	f.poll(2 * second)
	if n := len(f.sent()); n != 1 || f.eng.WorkerCounters(1).HandoffIn != 1 {
		t.Fatalf("after frames came back: sent %d, handoff-in %d", n, f.eng.WorkerCounters(1).HandoffIn)
	}
	f.checkFrames()
}

// ImportSync never blocks: a worker's full inbound ring refuses with
// ImportRingFull, and once the worker has applied what it holds the next
// imports are queued again.
func TestSyncImportRingFull(t *testing.T) {
	f := newFixture(t, 1, "rr")
	base := SyncConn{Virtual: vip4.As16(), Dest: rs1.As16(), VPort: 80, DPort: 80,
		Proto: protoTCP, Family: 4, State: conntrack.StateEstablished, Timeout: 900}
	full := 0
	for i := 0; i < syncInSize+10; i++ {
		c := base
		c.Client, c.CPort = client(i).As16(), 1000
		if f.eng.ImportSync(&c) == ImportRingFull {
			full++
		}
	}
	if full != 10 {
		t.Fatalf("%d imports refused as ring-full, want 10", full)
	}
	for k := 0; k < syncInSize/syncImportBudget; k++ {
		f.poll(second)
	}
	sc := f.eng.SyncCounters()
	if sc.Imported != syncInSize || sc.Import[ImportRingFull] != 10 {
		t.Fatalf("sync counters %+v", sc)
	}
	c := base
	c.Client, c.CPort = client(70000).As16(), 1000
	if r := f.eng.ImportSync(&c); r != ImportQueued {
		t.Fatalf("after the worker drained its ring: %v", r)
	}
}

// A FULLNAT connection that finds every reply record taken is refused as
// reply-table-full (not reply-tuple-in-use, which says another connection
// has the tuple), and its port comes back when it expires.
func TestFullNATReplyTableFull(t *testing.T) {
	f := newFullNAT(t, 1, 40000, 40099, snapshot.ClientAddrNone)
	w := f.eng.Workers()[0]
	w.ct = conntrack.NewWithReplies(1<<10, 2, 1)
	for i := 0; i < 3; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).UDP(4000, 53).Payload([]byte("q")).Bytes())
	}
	f.poll(second)
	if n := len(f.sent()); n != 2 || f.drops(verdict.ReplyTableFull) != 1 || f.drops(verdict.ReplyTupleInUse) != 0 {
		t.Fatalf("sent %d, reply-table-full %d, reply-tuple-in-use %d; want 2, 1, 0",
			n, f.drops(verdict.ReplyTableFull), f.drops(verdict.ReplyTupleInUse))
	}
	f.poll(1000 * second)
	if fc := f.eng.FullNATCounters(); fc.PortsAllocated != 3 || fc.PortsReleased != 3 {
		t.Fatalf("after expiry: %+v, want 3 ports allocated and released", fc)
	}
	f.checkFrames()
}
