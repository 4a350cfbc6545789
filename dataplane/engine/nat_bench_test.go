package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// replay measures one worker on batches of frames: each iteration copies
// the frames into UMEM frames after XDP's 256-byte headroom (as AF_XDP
// delivers them) and polls once. The copy is part of the figure.
func replay(b *testing.B, f *fixture, link int, frames [][]byte) {
	p, w := f.ports[0], f.eng.Workers()[0]
	p.Recycle = true
	fs := uint64(p.FrameSize())
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, fr := range frames {
			var d port.Desc
			if !p.Alloc(&d) {
				b.Fatal("out of frames")
			}
			d.Addr = d.Addr - d.Addr%fs + 256
			d.Len = uint32(copy(p.Buffer()[d.Addr:], fr))
			d.Link = uint16(link)
			p.InjectDesc(d)
		}
		w.Poll(2)
	}
	b.StopTimer()
	if c := f.eng.Counters(); c.TxPackets < uint64(b.N*len(frames)) {
		b.Fatalf("sent %d of %d frames; drops %v", c.TxPackets, b.N*len(frames), c.Drops)
	}
	b.ReportMetric(float64(b.N*len(frames))/b.Elapsed().Seconds()/1e6, "Mpps")
}

// establish opens n NAT or tunnel flows of 64-byte TCP segments and
// returns the segments of the inbound and the reply direction.
func establish(b *testing.B, f *fixture, n int) (in, out [][]byte) {
	for i := 0; i < n; i++ {
		c := client(i)
		f.injectOn(0, linkClient, fromClient(c, vip4).TCP(uint16(1000+i), 80, packet.TCPSyn).Bytes())
		got := f.one(1)
		in = append(in, fromClient(c, vip4).TCP(uint16(1000+i), 80, packet.TCPAck).Payload(make([]byte, 6)).Bytes())
		out = append(out, fromServer(mustDecode(b, got.Frame).Dst, c).TCP(8080, uint16(1000+i), packet.TCPAck).Payload(make([]byte, 6)).Bytes())
	}
	return in, out
}

// BenchmarkNATInbound: established flows, client → VIP rewritten to RIP:8080.
func BenchmarkNATInbound(b *testing.B) {
	f := newTwoArmed(b, 1, snapshot.MethodMasq, 0)
	in, _ := establish(b, f, BatchSize)
	replay(b, f, linkClient, in)
}

// BenchmarkNATReply: replies RIP:8080 → client rewritten to VIP:80.
func BenchmarkNATReply(b *testing.B) {
	f := newTwoArmed(b, 1, snapshot.MethodMasq, 0)
	_, out := establish(b, f, BatchSize)
	replay(b, f, linkServer, out)
}

// BenchmarkTunnel: established flows encapsulated in IPIP, GUE or GRE
// (with and without the UDP or GRE checksum).
func BenchmarkTunnel(b *testing.B) {
	for _, c := range []struct {
		name  string
		typ   uint8
		flags uint16
	}{{"ipip", snapshot.TunIPIP, 0}, {"gue", snapshot.TunGUE, 0}, {"gue-csum", snapshot.TunGUE, snapshot.TunFlagCsum},
		{"gre", snapshot.TunGRE, 0}, {"gre-csum", snapshot.TunGRE, snapshot.TunFlagCsum}} {
		b.Run(c.name, func(b *testing.B) {
			f := newTwoArmed(b, 1, snapshot.MethodTunnel, c.typ)
			for i := range f.dests {
				f.dests[i].TunPort, f.dests[i].TunFlags = 6080, c.flags
			}
			f.publish()
			in, _ := establish(b, f, BatchSize)
			replay(b, f, linkClient, in)
		})
	}
}
