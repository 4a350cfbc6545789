package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// TestTwoWorkersHandOffToOwner feeds every flow to worker 0: the flows
// worker 1 owns must be handed over, forwarded by worker 1 and tracked
// only there, and later packets of the same flow arriving at worker 1
// reach the same server.
func TestTwoWorkersHandOffToOwner(t *testing.T) {
	f := newFixture(t, 2, "rr")
	const flows = 200
	owned := [2]int{}
	for i := 0; i < flows; i++ {
		c := client(i)
		owned[owner(ptr16(c.As16()), 1000, 2)]++
		f.inject(0, syn(c, 1000, vip4))
		if i%32 == 31 {
			f.poll(1)
		}
	}
	f.poll(1)
	if owned[0] == 0 || owned[1] == 0 {
		t.Fatalf("owner hash put all flows on one worker: %v", owned)
	}
	if got := len(f.ports[0].TakeTx()); got != owned[0] {
		t.Errorf("worker 0 sent %d, want the %d it owns", got, owned[0])
	}
	if got := len(f.ports[1].TakeTx()); got != owned[1] {
		t.Errorf("worker 1 sent %d, want the %d it owns", got, owned[1])
	}
	c0, c1 := f.eng.WorkerCounters(0), f.eng.WorkerCounters(1)
	if c0.HandoffOut != uint64(owned[1]) || c1.HandoffIn != uint64(owned[1]) {
		t.Errorf("handoffs out %d in %d, want %d", c0.HandoffOut, c1.HandoffIn, owned[1])
	}
	if c0.Conns != uint64(owned[0]) || c1.Conns != uint64(owned[1]) {
		t.Errorf("conns per worker %d/%d, want %d/%d", c0.Conns, c1.Conns, owned[0], owned[1])
	}
	// The same flows now arrive on worker 1's queue: each reaches the
	// server its connection was scheduled to, wherever it lives.
	first := map[int][6]byte{}
	for i := 0; i < flows; i++ {
		f.inject(0, tcpFrame(client(i), 1000, vip4, packet.TCPAck, []byte{byte(i)}))
	}
	f.poll(2)
	for _, s := range f.sent() {
		first[int(s.Frame[len(s.Frame)-1])] = dstMAC(s.Frame)
	}
	for i := 0; i < flows; i++ {
		f.inject(1, tcpFrame(client(i), 1000, vip4, packet.TCPAck, []byte{byte(i)}))
	}
	f.poll(3)
	out := f.sent()
	if len(out) != flows {
		t.Fatalf("forwarded %d of %d segments arriving on the other queue", len(out), flows)
	}
	for _, s := range out {
		i := int(s.Frame[len(s.Frame)-1])
		if dstMAC(s.Frame) != first[i] {
			t.Errorf("flow %d moved from %x to %x", i, first[i], dstMAC(s.Frame))
		}
	}
	f.checkFrames()
}

func TestHandoffRingFullIsCountedDrop(t *testing.T) {
	f := newFixture(t, 2, "rr")
	// Fill worker 0 → 1 without letting worker 1 run.
	sent := 0
	for i := 0; sent < 1100; i++ {
		c := client(i)
		if owner(ptr16(c.As16()), 1000, 2) != 1 {
			continue
		}
		f.inject(0, syn(c, 1000, vip4))
		sent++
		if sent%64 == 0 {
			f.eng.Workers()[0].Poll(1)
		}
	}
	f.eng.Workers()[0].Poll(1)
	c0 := f.eng.WorkerCounters(0)
	if c0.HandoffOut != 1024 {
		t.Errorf("handed off %d, want the ring's 1024", c0.HandoffOut)
	}
	if d := c0.Drops[verdict.HandoffFull]; d != 1100-1024 {
		t.Errorf("handoff-ring-full drops %d, want %d", d, 1100-1024)
	}
	f.poll(2)
	f.sent()
	f.checkFrames()
}

func ptr16(a [16]byte) *[16]byte { return &a }
