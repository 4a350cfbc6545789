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

// TestNATTunnelICMPAllocateNothing guards the NAT inbound and reply paths
// (with replies handed to the other worker), IPIP and GUE encapsulation,
// packet-too-big answers and ICMP translation.
func TestNATTunnelICMPAllocateNothing(t *testing.T) {
	big := make([]byte, 1460)
	cases := []struct {
		name   string
		method snapshot.Method
		tun    uint8
		frames func(f *fixture, run int) []injected
	}{
		{"nat in and reply", snapshot.MethodMasq, 0, func(f *fixture, run int) []injected {
			c, sport, rip := client(run%50), uint16(run), natRS1 // the UDP service's only real server
			return []injected{
				{0, linkClient, fromClient(c, vip4).UDP(sport, 53).Payload([]byte("q")).Bytes()},
				{1, linkServer, fromServer(rip, c).UDP(5353, sport).Payload([]byte("a")).Bytes()},
				{1, linkServer, icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4), fromServer(c, rip).UDP(sport, 5353).IP())},
			}
		}},
		{"ipip", snapshot.MethodTunnel, snapshot.TunIPIP, func(f *fixture, run int) []injected {
			tooBig := fromClient(client(1), vip4).UDP(uint16(run), 53).Payload(big).Bytes()
			setDF(tooBig)
			return []injected{
				{0, linkClient, fromClient(client(run%50), vip4).UDP(uint16(run), 53).Payload([]byte("q")).Bytes()},
				{0, linkClient, tooBig},
			}
		}},
		{"gue", snapshot.MethodTunnel, snapshot.TunGUE, func(f *fixture, run int) []injected {
			return []injected{{0, linkClient, fromClient(client(run%50), vip4).UDP(uint16(run), 53).Payload([]byte("q")).Bytes()}}
		}},
		{"gre", snapshot.MethodTunnel, snapshot.TunGRE, func(f *fixture, run int) []injected {
			return []injected{{0, linkClient, fromClient(client(run%50), vip4).UDP(uint16(run), 53).Payload([]byte("q")).Bytes()}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoArmed(t, 2, c.method, c.tun)
			for i := range f.dests {
				f.dests[i].TunPort = 6080
				f.dests[i].TunFlags = snapshot.TunFlagCsum
			}
			f.publish()
			for _, p := range f.ports {
				p.Recycle = true
			}
			// Build the frames outside the measured function.
			batches := make([][]injected, 301)
			for i := range batches {
				batches[i] = c.frames(f, i+1)
			}
			run := 0
			allocs := testing.AllocsPerRun(300, func() {
				// One frame per poll: a reply must follow its request.
				for _, in := range batches[run] {
					f.ports[in.worker].Inject(in.link, in.frame)
					f.poll(int64(run+1) * 1e6)
				}
				run++
			})
			if allocs != 0 {
				t.Errorf("%s allocates %.1f times per batch, want 0", c.name, allocs)
			}
			cnt := f.eng.Counters()
			if want := uint64(300 * len(batches[0])); cnt.TxPackets < want {
				t.Fatalf("the test measured too little: %d sent, drops %v", cnt.TxPackets, cnt.Drops)
			}
		})
	}
}

// injected is a frame for a worker's port on a link.
type injected struct {
	worker, link int
	frame        []byte
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

// TestFullNATAllocatesNothing guards the FULLNAT paths: new connections
// taking local ports, inbound and reply rewrites with frames on the wrong
// worker both ways, ports released as connections expire, TOA insertion
// and the PROXY v2 header with its sequence adjustment.
func TestFullNATAllocatesNothing(t *testing.T) {
	cases := []struct {
		name string
		mode snapshot.ClientAddrMode
	}{{"plain", snapshot.ClientAddrNone}, {"toa", snapshot.ClientAddrTOA}, {"proxy-v2", snapshot.ClientAddrProxyV2}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFullNAT(t, 2, 0, 0, c.mode)
			f.svcs[0].Dests = []uint32{0} // natRS1 only: the replies come from it
			f.publishFN()
			for _, p := range f.ports {
				p.Recycle = true
			}
			// Each worker hands out its ports in order (1026, 1028, ...
			// for worker 0; 1025, 1027, ... for worker 1) as long as the
			// cursor has not wrapped, so the frames can be built first.
			next := [2]uint16{1026, 1025}
			batches := make([][]injected, 301)
			for i := range batches {
				cl, sport := client(i%50), uint16(i+1)
				o := owner(ptr(cl.As16()), sport, 2)
				lport := next[o]
				next[o] += 2
				batches[i] = []injected{
					{1 - o, linkClient, fromClient(cl, vip4).TCP(sport, 80, packet.TCPSyn).Seq(1000).TCPOptions([]byte{2, 4, 5, 0xb4}).Bytes()},
					{1 - o, linkServer, fromServer(natRS1, lipA4).TCP(8080, lport, packet.TCPSyn|packet.TCPAck).Seq(9).Ack(1001).TCPOptions([]byte{2, 4, 5, 0xb4}).Bytes()},
					{o, linkClient, fromClient(cl, vip4).TCP(sport, 80, packet.TCPAck).Seq(1001).Ack(10).Payload([]byte("data")).Bytes()},
					{o, linkClient, fromClient(cl, vip4).TCP(sport, 80, packet.TCPAck).Seq(1005).Ack(10).Payload([]byte("more")).Bytes()},
					{1 - o, linkServer, fromServer(natRS1, lipA4).TCP(8080, lport, packet.TCPAck).Seq(10).Ack(1009).Bytes()},
				}
			}
			run := 0
			allocs := testing.AllocsPerRun(300, func() {
				// Every connection of the previous run has expired by now:
				// its port goes back to the pool.
				now := int64(run+1) * 1000 * second
				for _, in := range batches[run] {
					f.ports[in.worker].Inject(in.link, in.frame)
					f.poll(now)
				}
				run++
			})
			if allocs != 0 {
				t.Errorf("FULLNAT %s allocates %.1f times per run, want 0", c.name, allocs)
			}
			cnt, fc := f.eng.Counters(), f.eng.FullNATCounters()
			if cnt.TxPackets < 300*5 || fc.PortsReleased < 290 || cnt.HandoffIn < 300*3 {
				t.Fatalf("the test measured too little: %d sent, %d handed off, %+v, drops %v", cnt.TxPackets, cnt.HandoffIn, fc, cnt.Drops)
			}
		})
	}
}
