package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// BenchmarkDRBatch measures whole-batch processing through an in-memory
// port: 64 segments of established flows per batch, DR rewrite, transmit.
func BenchmarkDRBatch(b *testing.B) {
	for _, flows := range []int{1, 64, 10000} {
		b.Run(itoa(flows)+"flows", func(b *testing.B) {
			f := newFixture(b, 1, "wlc")
			p := f.ports[0]
			p.Recycle = true
			for i := 0; i < flows; i++ {
				p.Inject(0, syn(client(i), uint16(i), vip4))
				if i%64 == 63 {
					f.eng.Workers()[0].Poll(1)
				}
			}
			f.eng.Workers()[0].Poll(1)
			// Pre-build 64 frames in the port's own memory and replay them.
			var descs [BatchSize]port.Desc
			for i := range descs {
				fr := tcpFrame(client(i%flows), uint16(i%flows), vip4, packet.TCPAck, make([]byte, 6))
				p.Alloc(&descs[i])
				descs[i].Len = uint32(copy(p.Buffer()[descs[i].Addr:], fr))
			}
			w := f.eng.Workers()[0]
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range descs {
					p.InjectDesc(descs[i])
					p.Alloc(&port.Desc{}) // keep the pool balanced: recycle frees each frame once more
				}
				w.Poll(2)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*BatchSize)/b.Elapsed().Seconds()/1e6, "Mpps")
		})
	}
}

// BenchmarkDRNewConnections measures scheduling + insertion: every packet is
// a SYN of a new flow.
func BenchmarkDRNewConnections(b *testing.B) {
	benchNewConns(b, newFixture(b, 1, "wlc"))
}

// benchNewConns sends batches of SYNs of new flows from 64 clients to
// vip4:80 through f's first worker, one second of engine time per batch:
// SYN_RECV entries (60 s) expire after 60 batches, so the table holds
// ~3840 flows and churns steadily. Every SYN must be forwarded.
func benchNewConns(b *testing.B, f *fixture) {
	p := f.ports[0]
	p.Recycle = true
	w := f.eng.Workers()[0]
	var frames [BatchSize][]byte
	b.ReportAllocs()
	i := 0
	now := int64(1)
	for n := 0; n < b.N; n++ {
		for k := range frames {
			if frames[k] == nil {
				frames[k] = syn(client(k), 0, vip4)
			}
			fr := frames[k]
			sport := uint16(i%65535 + 1) // persistent services refuse port 0
			i++
			fr[len(fr)-20] = byte(sport >> 8) // source port of the TCP header
			fr[len(fr)-19] = byte(sport)
			p.Inject(0, fr)
		}
		now += 1e9
		w.Poll(now)
	}
	b.StopTimer()
	c := f.eng.Counters()
	if c.Drops[verdict.ConnTableFull] != 0 || c.TxPackets != uint64(b.N*BatchSize) {
		b.Fatalf("sent %d of %d; drops %v", c.TxPackets, b.N*BatchSize, c.Drops)
	}
	b.ReportMetric(float64(b.N*BatchSize)/b.Elapsed().Seconds()/1e6, "Mpps")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
