package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// BenchmarkPersistentNewConnections measures new connections of a
// persistent service: every packet is a SYN of a new flow from one of 64
// clients, so each finds its client's template (lookup, usability check,
// re-arm) and inserts a controlled connection.
func BenchmarkPersistentNewConnections(b *testing.B) {
	f := newFixture(b, 1, "wlc")
	f.svcs[0].Flags, f.svcs[0].PersistTimeout, f.svcs[0].Netmask = snapshot.SvcPersistent, 360, 0xffffffff
	f.publish()
	benchNewConns(b, f)
}

// BenchmarkFWMarkNewConnections is the same through a mark rule and a
// firewall-mark service, with four rules ahead of the matching one.
func BenchmarkFWMarkNewConnections(b *testing.B) {
	f := fwmarkFixture(b, 1)
	f.svcs[3].Flags = 0
	f.publishMarks(
		markRule4(9, protoUDP, "198.18.0.0/24", 1, 65535),
		markRule4(9, protoTCP, "198.18.1.0/24", 1, 65535),
		markRule4(9, protoTCP, "198.18.0.100/32", 1, 79),
		markRule4(9, protoTCP, "198.18.0.100/32", 81, 442),
		markRule4(1, protoTCP, "198.18.0.100/32", 80, 80),
	)
	benchNewConns(b, f)
}

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
