package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
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

// TestPollPersistentAndFWMarkAllocatesNothing guards the persistence and
// firewall-mark paths: template lookups and creation, marked packets, a
// port-0 persistent service and one-packet UDP scheduling.
func TestPollPersistentAndFWMarkAllocatesNothing(t *testing.T) {
	f := fwmarkFixture(t, 2)
	f.svcs[0].Port = 0 // vip4:0, persistent: all other ports
	f.svcs[0].Flags, f.svcs[0].PersistTimeout, f.svcs[0].Netmask = snapshot.SvcPersistent, 360, 0xffffff00
	f.svcs[1].Flags = snapshot.SvcPersistent | snapshot.SvcOnePacket
	f.svcs[1].PersistTimeout, f.svcs[1].Netmask = 2, 0xffffffff
	f.publishMarks(markRule4(1, protoTCP, "198.18.0.100/32", 80, 80), markRule4(1, protoTCP, "198.18.0.100/32", 443, 443))
	for _, p := range f.ports {
		p.Recycle = true
	}
	var frames [][]byte
	for i := 0; i < 60; i++ {
		port := []uint16{80, 443, 8080}[i%3]
		frames = append(frames, synTo(client(i%7), uint16(i), vip4, port))
	}
	frames = append(frames, testpktUDP(client(3), 3, vip4, 53), testpktUDP(client(4), 4, vip4, 53))
	now := int64(1)
	run := 0
	allocs := testing.AllocsPerRun(200, func() {
		run++
		for i, fr := range frames {
			if i < 60 {
				fr[34], fr[35] = byte(run>>8), byte(run)
			}
			f.ports[0].Inject(0, fr)
		}
		now += 50e6 // templates of -o expire every 2 s: new ones get created
		f.eng.Workers()[0].Poll(now)
		f.eng.Workers()[1].Poll(now)
	})
	if allocs != 0 {
		t.Errorf("Poll allocates %.1f times per batch, want 0", allocs)
	}
	var persist uint64
	for slot := uint32(0); slot < 8; slot++ {
		persist += f.eng.DestStats(slot).PersistConns
	}
	c := f.eng.Counters()
	if c.TxPackets < 200*62 || persist == 0 || c.HandoffOut == 0 {
		t.Fatalf("the test measured too little: %d sent, %d templates, %d handoffs", c.TxPackets, persist, c.HandoffOut)
	}
}
