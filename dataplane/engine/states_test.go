package engine

import (
	"context"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
)

// tallyStates counts the listed connections of each worker by state: the
// reference the per-state counters must agree with.
func tallyStates(t *testing.T, e *Engine) [][conntrack.NumStates]uint64 {
	t.Helper()
	conns, err := e.ListConns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([][conntrack.NumStates]uint64, len(e.Workers()))
	for _, c := range conns {
		out[c.Worker][c.State]++
	}
	return out
}

// checkStates compares every worker's ConnStates with the tally of its
// listed connections and with its entry count.
func checkStates(t *testing.T, e *Engine, when string) {
	t.Helper()
	want := tallyStates(t, e)
	for i := range e.Workers() {
		c := e.WorkerCounters(i)
		if c.ConnStates != want[i] {
			t.Errorf("%s: worker %d counts %v by state, its listing %v", when, i, c.ConnStates, want[i])
		}
		var sum uint64
		for _, n := range c.ConnStates {
			sum += n
		}
		if sum != c.Conns {
			t.Errorf("%s: worker %d: states add up to %d, the table holds %d", when, i, sum, c.Conns)
		}
	}
}

// TestConnStatesFollowTransitions drives TCP connections through the IPVS
// states and UDP flows, on two workers with handoffs, and checks the
// per-state counts against the connection listing at every step, until
// the expiry sweep has removed everything.
func TestConnStatesFollowTransitions(t *testing.T) {
	f := newFixture(t, 2, "rr")
	now := second
	for i := 0; i < 20; i++ {
		f.inject(i%2, syn(client(i), uint16(20000+i), vip4))
	}
	for i := 0; i < 6; i++ {
		f.inject(0, testpktUDP(client(100+i), uint16(30000+i), vip4, 53))
	}
	f.poll(now)
	f.sent()
	got := f.eng.Counters().ConnStates
	if got[conntrack.StateSynRecv] != 20 || got[conntrack.StateUDP] != 6 {
		t.Fatalf("after 20 SYNs and 6 UDP flows: %v, want 20 SYN_RECV and 6 UDP", got)
	}
	checkStates(t, f.eng, "after SYNs")

	now += second
	for i := 0; i < 12; i++ { // 12 established
		f.inject(1, tcpFrame(client(i), uint16(20000+i), vip4, packet.TCPAck, []byte("x")))
	}
	f.poll(now)
	f.sent()
	checkStates(t, f.eng, "after ACKs")
	for i := 0; i < 4; i++ { // 4 of them closing
		f.inject(0, tcpFrame(client(i), uint16(20000+i), vip4, packet.TCPAck|packet.TCPFin, nil))
	}
	f.inject(0, tcpFrame(client(11), 20011, vip4, packet.TCPRst, nil)) // 1 reset
	f.poll(now)
	f.sent()
	got = f.eng.Counters().ConnStates
	var want [conntrack.NumStates]uint64
	want[conntrack.StateEstablished], want[conntrack.StateSynRecv], want[conntrack.StateUDP] = 7, 8, 6
	want[conntrack.StateClose], want[conntrack.StateFinWait] = 1, 4
	if got != want {
		t.Errorf("after 12 ACKs, 4 FINs and a RST: %v, want %v", got, want)
	}
	checkStates(t, f.eng, "after ACK/FIN/RST")

	// Past every timeout: the sweep removes the entries and their counts.
	for step := int64(1); step <= 4; step++ {
		f.poll(now + step*1000*second)
	}
	if got := f.eng.Counters(); got.ConnStates != [conntrack.NumStates]uint64{} || got.Conns != 0 {
		t.Errorf("after expiry: %d entries, states %v, want none", got.Conns, got.ConnStates)
	}
	f.checkFrames()
}

// TestConnStatesReclaimed: an expired entry reclaimed by a new connection
// in a full table leaves its state's count.
func TestConnStatesReclaimed(t *testing.T) {
	f := newFixture(t, 1, "rr")
	cfg := f.eng.cfg
	cfg.ConnCapacity = 8
	eng, err := New(cfg, []port.Port{f.ports[0]})
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	f.publish()
	for i := 0; i < 8; i++ {
		f.inject(0, syn(client(i), uint16(20000+i), vip4))
	}
	f.poll(second)
	f.sent()
	// SYN_RECV lasts 60 s; at 100 s the table is full of expired entries
	// the sweep has not reached yet (it runs after the batch).
	for i := 8; i < 11; i++ {
		f.inject(0, testpktUDP(client(i), uint16(30000+i), vip4, 53))
	}
	f.eng.Workers()[0].Poll(100 * second)
	f.sent()
	c := f.eng.Counters()
	if c.ConnStates[conntrack.StateUDP] != 3 {
		t.Errorf("after reclaiming: %v, want 3 UDP", c.ConnStates)
	}
	checkStates(t, f.eng, "after reclaiming")
}
