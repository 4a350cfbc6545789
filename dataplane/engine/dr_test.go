package engine

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

func TestDRRewritesOnlyMACs(t *testing.T) {
	for _, vip := range []struct {
		name  string
		frame []byte
	}{
		{"ipv4", tcpFrame(client(1), 40000, vip4, packet.TCPSyn, []byte("hello"))},
		{"ipv6", tcpFrame(netip.MustParseAddr("fd00:19::1"), 40000, vip6, packet.TCPSyn, []byte("hello"))},
	} {
		t.Run(vip.name, func(t *testing.T) {
			f := newFixture(t, 1, "rr")
			f.inject(0, vip.frame)
			f.poll(1)
			out := f.sent()
			if len(out) != 1 {
				t.Fatalf("sent %d frames, want 1 (drops %v)", len(out), f.eng.Counters().Drops)
			}
			got := out[0].Frame
			if dstMAC(got) != rs1MAC && dstMAC(got) != rs2MAC {
				t.Errorf("destination MAC %x is no real server's", dstMAC(got))
			}
			if srcMAC(got) != dirMAC {
				t.Errorf("source MAC %x, want the director's %x", srcMAC(got), dirMAC)
			}
			if !bytes.Equal(got[12:], vip.frame[12:]) {
				t.Errorf("DR changed bytes beyond the Ethernet addresses")
			}
			f.checkFrames()
		})
	}
}

func TestRoundRobinAcrossServers(t *testing.T) {
	f := newFixture(t, 1, "rr")
	count := map[[6]byte]int{}
	for i := 0; i < 100; i++ {
		f.inject(0, syn(client(i), uint16(1000+i), vip4))
		f.poll(1)
		for _, s := range f.sent() {
			count[dstMAC(s.Frame)]++
		}
	}
	if count[rs1MAC] != 50 || count[rs2MAC] != 50 {
		t.Errorf("rr spread %v, want 50/50", count)
	}
	st0, st1 := f.eng.DestStats(0), f.eng.DestStats(1)
	if st0.ActiveConns != 50 || st1.ActiveConns != 50 {
		t.Errorf("active conns %d/%d, want 50/50", st0.ActiveConns, st1.ActiveConns)
	}
}

func TestConnectionSticksToItsServer(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.inject(0, syn(client(1), 1000, vip4))
	f.poll(1)
	first := dstMAC(f.sent()[0].Frame)
	for i := 0; i < 10; i++ {
		f.inject(0, tcpFrame(client(1), 1000, vip4, packet.TCPAck, []byte("data")))
		// A new connection in between moves rr on.
		f.inject(0, syn(client(2+i), 2000, vip4))
		f.poll(int64(i+2) * second)
	}
	n := 0
	for _, s := range f.sent() {
		if bytes.Contains(s.Frame, []byte("data")) {
			n++
			if dstMAC(s.Frame) != first {
				t.Fatalf("segment of an established connection went to %x, not %x", dstMAC(s.Frame), first)
			}
		}
	}
	if n != 10 {
		t.Errorf("forwarded %d data segments, want 10", n)
	}
}

func TestNonSynWithoutConnectionDropped(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.inject(0, tcpFrame(client(1), 1000, vip4, packet.TCPAck, nil))
	f.inject(0, tcpFrame(client(1), 1001, vip4, packet.TCPSyn|packet.TCPRst, nil))
	f.poll(1)
	if n := len(f.sent()); n != 0 {
		t.Errorf("sent %d frames, want 0", n)
	}
	if d := f.drops(verdict.NotSyn); d != 2 {
		t.Errorf("tcp-not-syn drops %d, want 2", d)
	}
	f.checkFrames()
}

func TestUDPConnectionsAreInactive(t *testing.T) {
	f := newFixture(t, 1, "rr")
	for i := 0; i < 4; i++ {
		f.inject(0, testpktUDP(client(i), 5000, vip4, 53))
	}
	f.poll(1)
	if n := len(f.sent()); n != 4 {
		t.Fatalf("sent %d datagrams, want 4", n)
	}
	st2, st3 := f.eng.DestStats(2), f.eng.DestStats(3)
	if st2.ActiveConns+st3.ActiveConns != 0 || st2.InactConns+st3.InactConns != 4 {
		t.Errorf("UDP counts active %d inactive %d, want 0 and 4", st2.ActiveConns+st3.ActiveConns, st2.InactConns+st3.InactConns)
	}
	// After the UDP timeout (300 s) the connections expire.
	for i := 0; i < 64; i++ {
		f.poll(302 * second)
	}
	if c := f.eng.Counters(); c.Conns != 0 || c.ConnsExpired != 4 {
		t.Errorf("after timeout: %d conns, %d expired; want 0 and 4", c.Conns, c.ConnsExpired)
	}
	if st := f.eng.DestStats(2); st.InactConns != 0 {
		t.Errorf("inactive count %d after expiry, want 0", st.InactConns)
	}
}

func TestWeightZeroDrainsWithoutBreakingConnections(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.inject(0, syn(client(1), 1000, vip4))
	f.inject(0, syn(client(2), 1000, vip4))
	f.poll(1)
	f.sent()
	f.dests[1].Weight = 0
	f.publish()
	for i := 0; i < 20; i++ {
		f.inject(0, syn(client(100+i), 1000, vip4))
	}
	f.poll(2)
	for _, s := range f.sent() {
		if dstMAC(s.Frame) == rs2MAC {
			t.Fatalf("a new connection went to the quiesced server")
		}
	}
	// The connection scheduled to rs2 before goes on.
	f.inject(0, tcpFrame(client(2), 1000, vip4, packet.TCPAck, []byte("more")))
	f.poll(3)
	out := f.sent()
	if len(out) != 1 || dstMAC(out[0].Frame) != rs2MAC {
		t.Fatalf("established connection to the quiesced server not forwarded to it")
	}
}

func TestDeletedServerConnectionsDropUntilReadded(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.inject(0, syn(client(1), 1000, vip4))
	f.inject(0, syn(client(2), 1000, vip4))
	f.poll(1)
	f.sent()
	// Delete rs2: it leaves the service but stays in the snapshot while
	// connections refer to it.
	f.svcs[0].Dests = []uint32{0}
	f.dests[1].Available = false
	f.publish()
	f.inject(0, tcpFrame(client(2), 1000, vip4, packet.TCPAck, []byte("x")))
	f.poll(2)
	if n := len(f.sent()); n != 0 {
		t.Fatalf("packet of a deleted server's connection was forwarded")
	}
	if d := f.drops(verdict.DestUnavailable); d != 1 {
		t.Fatalf("destination-unavailable drops %d, want 1", d)
	}
	f.inject(0, syn(client(3), 1000, vip4))
	f.poll(3)
	if out := f.sent(); len(out) != 1 || dstMAC(out[0].Frame) != rs1MAC {
		t.Fatalf("new connection not scheduled to the remaining server")
	}
	// Re-adding the same server revives its connections.
	f.svcs[0].Dests = []uint32{0, 1}
	f.dests[1].Available = true
	f.publish()
	f.inject(0, tcpFrame(client(2), 1000, vip4, packet.TCPAck, []byte("y")))
	f.poll(4)
	if out := f.sent(); len(out) != 1 || dstMAC(out[0].Frame) != rs2MAC {
		t.Fatalf("revived connection not forwarded to its server")
	}
	f.checkFrames()
}

func TestNoNextHopDropped(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.dests[0].NextHop.Valid = false
	f.dests[1].NextHop.Valid = false
	f.publish()
	f.inject(0, syn(client(1), 1000, vip4))
	f.poll(1)
	if d := f.drops(verdict.NoNextHop); d != 1 {
		t.Errorf("no-next-hop drops %d, want 1", d)
	}
	f.checkFrames()
}
