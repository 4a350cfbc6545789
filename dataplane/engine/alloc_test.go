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
	allocs := testing.AllocsPerRun(200, func() {
		for _, fr := range frames {
			f.ports[0].Inject(0, fr)
		}
		now += 1e6
		f.eng.Workers()[0].Poll(now)
		f.eng.Workers()[1].Poll(now)
	})
	if allocs != 0 {
		t.Errorf("Poll allocates %.1f times per batch, want 0", allocs)
	}
	if f.eng.Counters().TxPackets == 0 {
		t.Fatal("nothing was forwarded; the test measured nothing")
	}
}
