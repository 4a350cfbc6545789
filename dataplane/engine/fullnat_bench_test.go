package engine

import (
	"encoding/binary"
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// establishFullNAT opens n FULLNAT TCP connections and returns 64-byte
// segments of the inbound and the reply direction.
func establishFullNAT(b *testing.B, f *fnFixture, n int) (in, out [][]byte) {
	for i := 0; i < n; i++ {
		c, sport := client(i), uint16(1000+i)
		f.injectOn(0, linkClient, fromClient(c, vip4).TCP(sport, 80, packet.TCPSyn).Seq(1000).Bytes())
		d := mustDecode(b, f.one(1).Frame)
		lport := binary.BigEndian.Uint16(d.L4[0:2])
		in = append(in, fromClient(c, vip4).TCP(sport, 80, packet.TCPAck).Seq(2000).Payload(make([]byte, 6)).Bytes())
		out = append(out, toDirector(d.Dst, lipA4).TCP(8080, lport, packet.TCPAck).Ack(2000).Payload(make([]byte, 6)).Bytes())
	}
	return in, out
}

// BenchmarkFullNATInbound: established flows, CIP:cport → VIP:80
// rewritten to LIP:lport → RIP:8080.
func BenchmarkFullNATInbound(b *testing.B) {
	f := newFullNAT(b, 1, 0, 0, snapshot.ClientAddrNone)
	in, _ := establishFullNAT(b, f, BatchSize)
	replay(b, f.fixture, linkClient, in)
}

// BenchmarkFullNATReply: replies RIP:8080 → LIP:lport rewritten to
// VIP:80 → CIP:cport.
func BenchmarkFullNATReply(b *testing.B) {
	f := newFullNAT(b, 1, 0, 0, snapshot.ClientAddrNone)
	_, out := establishFullNAT(b, f, BatchSize)
	replay(b, f.fixture, linkServer, out)
}

// BenchmarkFullNATNewConnections: UDP datagrams of new flows, each taking
// a local port; the connections expire (and give their ports back) as the
// clock jumps past the UDP timeout every 32 batches (2048 connections in a table of 4096).
func BenchmarkFullNATNewConnections(b *testing.B) {
	f := newFullNAT(b, 1, 0, 0, snapshot.ClientAddrNone)
	p, w := f.ports[0], f.eng.Workers()[0]
	p.Recycle = true
	frames := make([][]byte, BatchSize)
	for i := range frames {
		frames[i] = fromClient(client(i), vip4).UDP(1, 53).Payload(make([]byte, 18)).Bytes()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, fr := range frames {
			binary.BigEndian.PutUint16(fr[34:], uint16(n)) // a new source port per batch
			p.Inject(linkClient, fr)
		}
		w.Poll(int64(n/32+1) * 400 * second)
	}
	b.StopTimer()
	if c := f.eng.Counters(); c.TxPackets != uint64(b.N*len(frames)) {
		b.Fatalf("%d of %d datagrams sent; drops %v", c.TxPackets, b.N*len(frames), c.Drops)
	}
	b.ReportMetric(float64(b.N*len(frames))/b.Elapsed().Seconds()/1e6, "Mconn/s")
}
