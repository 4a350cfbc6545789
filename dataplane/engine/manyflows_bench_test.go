package engine

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// BenchmarkDRManyFlows measures established UDP flows spread over a large
// connection table, as the throughput harness's 1M-flow rows load it:
// every frame is of the next flow in turn, so each lookup touches cold
// memory, and the expiry sweep walks a table of 1M live entries. Batches
// of 8 frames are what a worker sees when it keeps up with its queue, 64
// when it falls behind.
func BenchmarkDRManyFlows(b *testing.B) {
	const flows = 1 << 20
	saved := fixtureCapacity
	fixtureCapacity = 1 << 21
	defer func() { fixtureCapacity = saved }()
	f := newFixture(b, 1, "rr")
	p := f.ports[0]
	p.Recycle = true
	w := f.eng.Workers()[0]
	// Frames of flow i: source 198.19.x.y (i>>4), port 1024 + i&15.
	tmpl := testpkt.Eth(clientMAC, dirMAC).IPv4(client(0), vip4).UDP(1024, 53).Payload(make([]byte, 18)).Bytes()
	const srcOff, sportOff = 14 + 12, 14 + 20 // Ethernet, IPv4 without options
	setFlow := func(fr []byte, i int) {
		a := netip.AddrFrom4([4]byte{198, 19, byte(i >> 12), byte(i >> 4)})
		copy(fr[srcOff:srcOff+4], a.AsSlice())
		binary.BigEndian.PutUint16(fr[sportOff:], uint16(1024+i&15))
		// The IPv4 header checksum is not checked by the worker; the UDP
		// checksum is left as is (the worker updates it incrementally).
	}
	fill := func(batch int) {
		var d port.Desc
		for i := 0; i < flows; i += batch {
			for k := 0; k < batch && i+k < flows; k++ {
				p.Alloc(&d)
				d.Len = uint32(copy(p.Buffer()[d.Addr:], tmpl))
				setFlow(p.Buffer()[d.Addr:d.Addr+uint64(d.Len)], i+k)
				p.InjectDesc(d)
			}
			w.Poll(1)
		}
	}
	fill(BatchSize)
	if got := w.ct.Len(); got != flows {
		b.Fatalf("%d connections after the fill, want %d", got, flows)
	}
	for _, batch := range []int{8, BatchSize} {
		b.Run("batch"+itoa(batch), func(b *testing.B) {
			var descs [BatchSize]port.Desc
			for i := range descs[:batch] {
				p.Alloc(&descs[i])
				descs[i].Len = uint32(copy(p.Buffer()[descs[i].Addr:], tmpl))
			}
			next := 0
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range descs[:batch] {
					setFlow(p.Buffer()[descs[i].Addr:descs[i].Addr+uint64(descs[i].Len)], next)
					next = (next + 7919) & (flows - 1) // a stride: no two neighbours in a row
					p.InjectDesc(descs[i])
					p.Alloc(&port.Desc{}) // keep the pool balanced: recycle frees each frame once more
				}
				w.Poll(2)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds()/1e6, "Mpps")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*batch), "ns/frame")
		})
	}
	if got := w.ct.Len(); got != flows {
		b.Fatalf("%d connections after the run, want %d: frames opened new flows", got, flows)
	}
}

// BenchmarkNATManyFlows is BenchmarkDRManyFlows for NAT, in both
// directions: 1M established UDP flows to vip4:53 (one real server,
// natRS1:5353), batches of 64 frames of the next flows in turn, inbound
// (a connection lookup) or replies (a reply lookup, then the entry and
// its reply record).
func BenchmarkNATManyFlows(b *testing.B) {
	const flows = 1 << 20
	saved := fixtureCapacity
	fixtureCapacity = 1 << 22 // the default reply capacity, a quarter, holds every flow
	defer func() { fixtureCapacity = saved }()
	f := newTwoArmed(b, 1, snapshot.MethodMasq, 0)
	p := f.ports[0]
	p.Recycle = true
	w := f.eng.Workers()[0]
	in := fromClient(client(0), vip4).UDP(1024, 53).Payload(make([]byte, 18)).Bytes()
	reply := fromServer(natRS1, client(0)).UDP(5353, 1024).Payload(make([]byte, 18)).Bytes()
	// Flow i: client 198.19.x.y (i>>4), port 1024 + i&15; the inbound
	// frame's source, the reply's destination.
	const srcOff, dstOff, sportOff, dportOff = 14 + 12, 14 + 16, 14 + 20, 14 + 22
	setFlow := func(fr []byte, i int, addrOff, portOff int) {
		copy(fr[addrOff:addrOff+4], []byte{198, 19, byte(i >> 12), byte(i >> 4)})
		binary.BigEndian.PutUint16(fr[portOff:], uint16(1024+i&15))
	}
	var d port.Desc
	for i := 0; i < flows; i += BatchSize {
		for k := 0; k < BatchSize; k++ {
			p.Alloc(&d)
			d.Len = uint32(copy(p.Buffer()[d.Addr:], in))
			d.Link = linkClient
			setFlow(p.Buffer()[d.Addr:d.Addr+uint64(d.Len)], i+k, srcOff, sportOff)
			p.InjectDesc(d)
		}
		w.Poll(1)
	}
	if got := w.ct.ReplyLen(); got != flows {
		b.Fatalf("%d reply keys after the fill, want %d (drops %v)", got, flows, f.eng.Counters().Drops)
	}
	for _, dir := range []string{"in", "reply"} {
		b.Run(dir, func(b *testing.B) {
			tmpl, addrOff, portOff, link := in, srcOff, sportOff, uint16(linkClient)
			if dir == "reply" {
				tmpl, addrOff, portOff, link = reply, dstOff, dportOff, linkServer
			}
			var descs [BatchSize]port.Desc
			for i := range descs {
				p.Alloc(&descs[i])
				descs[i].Len = uint32(copy(p.Buffer()[descs[i].Addr:], tmpl))
				descs[i].Link = link
			}
			next := 0
			before := f.eng.Counters().TxPackets
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range descs {
					// NAT rewrites addresses and ports: start from the template.
					fr := p.Buffer()[descs[i].Addr : descs[i].Addr+uint64(descs[i].Len)]
					copy(fr, tmpl)
					setFlow(fr, next, addrOff, portOff)
					next = (next + 7919) & (flows - 1)
					p.InjectDesc(descs[i])
					p.Alloc(&port.Desc{}) // keep the pool balanced: recycle frees each frame once more
				}
				w.Poll(2)
			}
			b.StopTimer()
			if sent := f.eng.Counters().TxPackets - before; sent != uint64(b.N*BatchSize) {
				b.Fatalf("sent %d of %d frames; drops %v", sent, b.N*BatchSize, f.eng.Counters().Drops)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*BatchSize), "ns/frame")
		})
	}
}
