package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// Findings of the review of the per-packet code for integer underflows
// and unchecked lengths, one test each.

// stateTotal returns the sum of the per-state connection counts, as
// get-counters adds them up, and whether one of them wrapped below zero.
func stateTotal(c *Counters) (uint64, bool) {
	var sum uint64
	for _, n := range c.ConnStates {
		if int64(n) < 0 {
			return 0, true
		}
		sum += n
	}
	return sum, false
}

// Connections and templates a backup imports are counted by state like
// the ones it schedules, an update moves the count, and expiry takes it
// back to zero: the per-state counters of get-counters used to miss the
// imports and wrap below zero when they expired.
func TestSyncImportKeepsStateCounts(t *testing.T) {
	master := persistFixture(t, 1, 600, 0xffffffff)
	master.eng.SetSyncMaster(true)
	for i := 0; i < 3; i++ {
		c := client(20 + i)
		master.serverOf(0, syn(c, 1000, vip4), second)
		master.sendTCP(c, 1000, packet.TCPAck, second)
		master.sendTCP(c, 1000, packet.TCPAck, second)
	}
	recs := master.drain()
	backup := persistFixture(t, 2, 600, 0xffffffff)
	for i := range recs {
		if r := backup.eng.ImportSync(&recs[i]); r != ImportQueued {
			t.Fatalf("import %d: %v", i, r)
		}
	}
	backup.poll(second)
	c := backup.eng.Counters()
	if sum, wrapped := stateTotal(&c); wrapped || sum != c.Conns || c.Conns != 6 {
		t.Fatalf("after import: %d entries, states add up to %d (wrapped %v): %v", c.Conns, sum, wrapped, c.ConnStates)
	}
	if n := c.ConnStates[conntrack.StateEstablished]; n != 3 {
		t.Fatalf("%d ESTABLISHED, want 3", n)
	}
	upd := recs[len(recs)-1]
	upd.State, upd.Timeout = conntrack.StateFinWait, 60
	backup.eng.ImportSync(&upd)
	backup.poll(2 * second)
	c = backup.eng.Counters()
	if c.ConnStates[conntrack.StateEstablished] != 2 || c.ConnStates[conntrack.StateFinWait] != 1 {
		t.Fatalf("after update: %v", c.ConnStates)
	}
	backup.poll(3600 * second)
	backup.poll(3601 * second)
	c = backup.eng.Counters()
	if sum, wrapped := stateTotal(&c); wrapped || sum != 0 || c.Conns != 0 {
		t.Fatalf("after expiry: %d entries, states add up to %d (wrapped %v): %v", c.Conns, sum, wrapped, c.ConnStates)
	}
}

// An ICMP error quoting a packet to client port 0 of a persistent service
// has the key of the client's persistence template: it is about no
// connection, and must not be forwarded to the template's real server
// (the packet path refuses such keys as source-port-zero).
func TestICMPQuotingTemplateKeyNotForwarded(t *testing.T) {
	f := persistFixture(t, 1, 600, 0xffffffff)
	c := client(5)
	f.serverOf(0, syn(c, 1000, vip4), second)
	quote := testpkt.Eth(dirMAC, clientMAC).IPv4(vip4, c).TCP(80, 0, packet.TCPAck).Bytes()[14:42]
	f.inject(0, icmpErr(testpkt.Eth(clientMAC, dirMAC).IPv4(c, vip4), false, 3, 3, make([]byte, 4), quote))
	f.poll(2 * second)
	if n := len(f.sent()); n != 0 || f.drops(verdict.ICMPNoConnection) != 1 {
		t.Fatalf("sent %d, icmp-no-connection %d; want 0 and 1", n, f.drops(verdict.ICMPNoConnection))
	}
	f.checkFrames()
}
