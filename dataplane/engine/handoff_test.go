package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/handoff"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
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

// TestOversizedHandoffDroppedWithoutPublishingASlot: a frame larger than a
// handoff slot is counted as frame-too-big and the owner receives nothing
// (no empty or stale slot is published).
func TestOversizedHandoffDroppedWithoutPublishingASlot(t *testing.T) {
	p0, p1 := memport.New(64, 8192, 1), memport.New(64, 8192, 1)
	cfg := DefaultConfig()
	cfg.ConnCapacity = 1024
	eng, err := New(cfg, []port.Port{p0, p1})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, 1, "rr") // borrow its snapshot
	eng.Publish(f.eng.Snapshot())
	c := client(0)
	for i := 1; owner(ptr16(c.As16()), 1000, 2) != 1; i++ {
		c = client(i)
	}
	big := tcpFrame(c, 1000, vip4, packet.TCPSyn, make([]byte, handoff.SlotSize))
	if err := p0.Inject(0, big); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		eng.Workers()[0].Poll(1)
		eng.Workers()[1].Poll(1)
	}
	if d := eng.WorkerCounters(0).Drops[verdict.FrameTooBig]; d != 1 {
		t.Errorf("frame-too-big drops %d, want 1", d)
	}
	if c1 := eng.WorkerCounters(1); c1.HandoffIn != 0 || c1.RxPackets != 0 || len(p1.TakeTx()) != 0 {
		t.Errorf("owner received something: %+v", c1)
	}
	if p0.FreeFrames() != 64 {
		t.Errorf("port 0 holds %d free frames, want 64", p0.FreeFrames())
	}
}
