package engine

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// withPrefetch runs fn with the prefetch pass on every batch, whatever
// the table's size (prefetchMinConns 0), or on none (off).
func withPrefetch(on bool, fn func()) {
	saved := prefetchMinConns
	defer func() { prefetchMinConns = saved }()
	prefetchMinConns = 0
	if !on {
		prefetchMinConns = int(^uint(0) >> 1)
	}
	fn()
}

// TestPrefetchPassKeepsBehaviour runs tests of every forwarding method,
// of NAT and FULLNAT replies, handoffs, persistence, firewall marks,
// malformed frames and the allocation guards with the prefetch pass on
// every batch: the pass must change nothing they check.
func TestPrefetchPassKeepsBehaviour(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"DRRewritesOnlyMACs", TestDRRewritesOnlyMACs},
		{"ConnectionSticksToItsServer", TestConnectionSticksToItsServer},
		{"NonSynWithoutConnectionDropped", TestNonSynWithoutConnectionDropped},
		{"TwoWorkersHandOffToOwner", TestTwoWorkersHandOffToOwner},
		{"NATTranslatesBothWays", TestNATTranslatesBothWays},
		{"NATRepliesReachTheOwnerOnTheOtherWorker", TestNATRepliesReachTheOwnerOnTheOtherWorker},
		{"NATReplyWithoutConnectionIsDropped", TestNATReplyWithoutConnectionIsDropped},
		{"FullNATTranslatesBothWays", TestFullNATTranslatesBothWays},
		{"FullNATRepliesOnTheWrongWorker", TestFullNATRepliesOnTheWrongWorker},
		{"IPIPEncapsulation", TestIPIPEncapsulation},
		{"SCTPNATAssociation", TestSCTPNATAssociation},
		{"ICMPFromNATServerReachesClientTranslated", TestICMPFromNATServerReachesClientTranslated},
		{"PersistenceKeepsClientOnServer", TestPersistenceKeepsClientOnServer},
		{"FWMarkServicePersistentAcrossPorts", TestFWMarkServicePersistentAcrossPorts},
		{"ConnReuseNAT", TestConnReuseNAT},
		{"MalformedFramesCountedAndDropped", TestMalformedFramesCountedAndDropped},
		{"PollAllocatesNothing", TestPollAllocatesNothing},
		{"NATTunnelICMPAllocateNothing", TestNATTunnelICMPAllocateNothing},
		{"FullNATAllocatesNothing", TestFullNATAllocatesNothing},
	}
	withPrefetch(true, func() {
		for _, tc := range tests {
			t.Run(tc.name, tc.fn)
		}
	})
}

// TestPrefetchPassTargetsTheLookups checks what the pass prefetches for a
// batch: the connection of a frame to a service this worker owns, the
// reply key of a NAT reply, and nothing for frames it cannot parse, other
// protocols or flows of the other worker. A pass that prefetched nothing,
// or the wrong keys, would change no verdict and only cost time.
func TestPrefetchPassTargetsTheLookups(t *testing.T) {
	withPrefetch(true, func() {
		f := newTwoArmed(t, 2, snapshot.MethodMasq, 0)
		w := f.eng.Workers()[0]
		// A client flow worker 0 owns and one it does not.
		var mine, theirs netip.Addr
		for i := 0; !mine.IsValid() || !theirs.IsValid(); i++ {
			if c := client(i); owner(ptr16(c.As16()), 1000, 2) == 0 {
				mine = c
			} else {
				theirs = c
			}
		}
		f.injectOn(0, linkClient, fromClient(mine, vip4).TCP(1000, 80, packet.TCPSyn).Bytes())
		f.poll(1)
		out := f.sent()
		if len(out) != 1 {
			t.Fatalf("the SYN was not forwarded: %d frames sent", len(out))
		}
		rip := mustDecode(t, out[0].Frame).Dst // port 8080
		batch := [][]byte{
			fromClient(mine, vip4).TCP(1000, 80, packet.TCPAck).Bytes(),   // 0: conn
			fromClient(theirs, vip4).TCP(1000, 80, packet.TCPAck).Bytes(), // 1: another worker's
			fromServer(rip, mine).TCP(8080, 1000, packet.TCPAck).Bytes(),  // 2: reply
			{1, 2, 3}, // 3: runt
			fromClient(mine, vip4).ICMPv4(8, 0, []byte("ping")).Bytes(), // 4: not TCP/UDP/SCTP
		}
		for i, fr := range batch {
			link := linkClient
			if i == 2 {
				link = linkServer
			}
			f.injectOn(0, link, fr)
		}
		w.Poll(2)
		want := []uint8{pfConn, pfNone, pfReply, pfNone, pfNone}
		for i, k := range want {
			if w.pf.kind[i] != k {
				t.Errorf("frame %d: prefetched kind %d, want %d", i, w.pf.kind[i], k)
			}
		}
		key := conntrack.Key{Client: mine.As16(), Virtual: vip4.As16(), CPort: 1000, VPort: 80, Proto: protoTCP}
		if h := w.ct.Hash(&key); w.pf.hash[0] != h {
			t.Errorf("frame 0: prefetched hash %#x, want the key's %#x", w.pf.hash[0], h)
		}
		if _, ok := w.ct.LookupHash(&key, w.pf.hash[0], 2); !ok {
			t.Error("frame 0: the prefetched hash does not find the connection")
		}
		rk := conntrack.ReplyKey{Peer: rip.As16(), PeerPort: 8080, Local: mine.As16(), LocalPort: 1000, Proto: protoTCP}
		if h := w.ct.ReplyHash(&rk); w.pf.hash[2] != h {
			t.Errorf("frame 2: prefetched hash %#x, want the reply key's %#x", w.pf.hash[2], h)
		}
		if w.pf.n != len(batch) || w.pf.next != len(batch) {
			t.Errorf("process took %d of the %d prefetched frames, want all %d", w.pf.next, w.pf.n, len(batch))
		}
		f.poll(2)
		f.sent()
		f.checkFrames()
	})
}

// TestPrefetchedHashFollowsTheFrames checks that process gets a hash only
// for the frame it was computed for: a frame out of order gets none.
func TestPrefetchedHashFollowsTheFrames(t *testing.T) {
	w := &Worker{}
	w.pf.n = 3
	w.pf.addr = [BatchSize]uint64{100, 200, 300}
	w.pf.hash = [BatchSize]uint64{1, 2, 3}
	w.pf.kind = [BatchSize]uint8{pfConn, pfReply, pfConn}
	for i, c := range []struct {
		addr uint64
		h    uint64
		ok   bool
	}{
		{100, 1, true},  // its own
		{300, 0, false}, // frame 2 where frame 1 was expected
		{300, 3, true},
		{400, 0, false}, // past the batch
	} {
		h, ok := w.prefetched(&port.Desc{Addr: c.addr})
		if h != c.h || ok != c.ok {
			t.Errorf("call %d, frame at %d: got %d, %v; want %d, %v", i, c.addr, h, ok, c.h, c.ok)
		}
	}
}

// TestPrefetchPassGarbageFrames feeds batches of garbage frames of 0 to
// 60 bytes, random or cut from valid frames to a service, with the pass
// on and off: neither may panic, every frame must be counted received and
// dropped, nothing forwarded, and both runs must count the same drops.
func TestPrefetchPassGarbageFrames(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var frames [][]byte
	valid := [][]byte{
		testpktUDP(client(1), 1, vip4, 53),
		syn(client(2), 2, vip4),
		syn(netip.MustParseAddr("fd00:19::2"), 2, vip6),
		testpkt.Eth(clientMAC, dirMAC).IPv4(client(3), vip4).Transport(protoSCTP, make([]byte, 40)).Bytes(),
	}
	for n := 0; n <= 60; n++ {
		g := make([]byte, n)
		for i := range g {
			g[i] = byte(r.Uint32())
		}
		frames = append(frames, g)
		v := valid[n%len(valid)]
		frames = append(frames, append([]byte(nil), v[:min(n, len(v)-1)]...))
	}
	run := func(on bool) (rx uint64, drops [verdict.NumReasons]uint64) {
		withPrefetch(on, func() {
			f := newFixture(t, 1, "rr")
			for i, fr := range frames {
				f.inject(0, fr)
				if i%BatchSize == BatchSize-1 {
					f.poll(1)
				}
			}
			f.poll(1)
			if n := len(f.sent()); n != 0 {
				t.Errorf("prefetch %v: %d garbage frames forwarded", on, n)
			}
			f.checkFrames()
			c := f.eng.Counters()
			rx, drops = c.RxPackets, c.Drops
		})
		return rx, drops
	}
	rxOn, dropsOn := run(true)
	rxOff, dropsOff := run(false)
	var total uint64
	for _, d := range dropsOn {
		total += d
	}
	if rxOn != uint64(len(frames)) || total != uint64(len(frames)) {
		t.Errorf("with the pass: %d received, %d dropped, want %d each", rxOn, total, len(frames))
	}
	if rxOn != rxOff || dropsOn != dropsOff {
		t.Errorf("the pass changed the counts: received %d, drops %v; without it %d, %v", rxOn, dropsOn, rxOff, dropsOff)
	}
}
