package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
)

// TestPollAllocatesNothing guards the hot path: a batch with new
// connections, established ones, drops and handoffs allocates nothing.
func TestPollAllocatesNothing(t *testing.T) {
	f := newFixture(t, 2, "wlc")
	for _, p := range f.ports {
		p.Recycle = true
	}
	frames := make([][]byte, 0, 64)
	for i := 0; i < 60; i++ {
		frames = append(frames, syn(client(i), uint16(i), vip4))
	}
	frames = append(frames, tcpFrame(client(1), 1, vip4, packet.TCPAck, []byte("x")))
	frames = append(frames, []byte{1, 2, 3})
	frames = append(frames, testpktUDP(client(3), 3, vip4, 53))
	now := int64(1)
	run := 0
	allocs := testing.AllocsPerRun(200, func() {
		// New source ports every run: each batch schedules new connections.
		run++
		for i, fr := range frames {
			if i < 60 {
				fr[34], fr[35] = byte(run>>8), byte(run)
			}
			f.ports[0].Inject(0, fr)
		}
		now += 1e6
		f.eng.Workers()[0].Poll(now)
		f.eng.Workers()[1].Poll(now)
	})
	if allocs != 0 {
		t.Errorf("Poll allocates %.1f times per batch, want 0", allocs)
	}
	c := f.eng.Counters()
	if c.TxPackets == 0 || c.ConnsCreated < 200*60 || c.HandoffOut == 0 {
		t.Fatalf("the test measured too little: %d sent, %d conns created, %d handoffs", c.TxPackets, c.ConnsCreated, c.HandoffOut)
	}
}
