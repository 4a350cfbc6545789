package xskport

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/internal/netlab"
)

// ring is the entries of the test port's rings.
const ring = 128

// testPort opens a port on eth0 and eth1 of a namespace "dut", whose
// peers are eth0 and eth1 of a namespace "peer", with rings of ring
// entries and 4 × ring frames per link.
func testPort(t testing.TB) (*Port, *netlab.NS) {
	t.Helper()
	netlab.RequireRoot(t)
	lab := netlab.NewT(t, "xskport")
	var ns [2]*netlab.NS // dut, peer
	var idx []int        // dut's eth0, eth1
	var err error
	for i, name := range []string{"dut", "peer"} {
		if ns[i], err = lab.AddNS(name); err != nil {
			t.Fatal(err)
		}
	}
	dut, peer := ns[0], ns[1]
	for _, dev := range []string{"eth0", "eth1"} {
		err = lab.Veth(dut, dev, peer, dev, netlab.LinkOptions{Queues: 1})
		i := 0
		if err == nil {
			i, err = dut.LinkIndex(dev)
		}
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
	}
	o := DefaultOptions()
	o.FramesPerLink = 4 * ring
	o.Socket.FillSize, o.Socket.RXSize, o.Socket.TXSize, o.Socket.CompletionSize = ring, ring, ring, ring
	var p *Port
	if err := dut.Do(func() (err error) { p, err = Open(idx, 0, o); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, peer
}

// fillLens returns how many frames each link's fill ring holds.
func fillLens(p *Port) []int {
	var n []int
	for _, s := range p.Sockets() {
		n = append(n, s.Fill().Len())
	}
	return n
}

// Open fills every fill ring, and flushing a port whose fill rings are
// full moves no frame: the free pool keeps the rest.
func TestOpenFillsEveryFillRing(t *testing.T) {
	p, _ := testPort(t)
	want := p.TotalFrames() - 2*ring
	for i := 0; i < 3; i++ {
		if got := fillLens(p); got[0] != ring || got[1] != ring {
			t.Fatalf("flush %d: fill rings hold %v frames, want %d each", i, got, ring)
		}
		if got := p.FreeFrames(); got != want {
			t.Fatalf("flush %d: %d free frames, want %d", i, got, want)
		}
		p.Flush()
	}
}

// Frames transmitted on both links reach the peers, come back through the
// completion rings into the free pool, and no frame is lost.
func TestTransmitReturnsEveryFrame(t *testing.T) {
	p, peer := testPort(t)
	const total = 10 * ring
	var descs [port.MaxBatch]port.Desc
	buf := p.Buffer()
	sent := 0
	deadline := time.Now().Add(5 * time.Second)
	for sent < total && time.Now().Before(deadline) {
		n := 0
		for n < 64 && sent+n < total && p.Alloc(&descs[n]) {
			d := &descs[n]
			frame := buf[d.Addr : d.Addr+60]
			for i := range 12 {
				frame[i] = 0x02 // locally administered unicast addresses
			}
			binary.BigEndian.PutUint16(frame[12:], 0x88b5) // local experimental EtherType
			d.Len, d.Link = 60, uint16((sent+n)%2)
			n++
		}
		sent += p.Transmit(descs[:n])
		p.Flush()
	}
	if sent != total {
		t.Fatalf("transmitted %d frames in 5 s, want %d", sent, total)
	}
	free := p.TotalFrames() - 2*ring
	for time.Now().Before(deadline) && p.FreeFrames() != free {
		p.Flush()
		time.Sleep(time.Millisecond)
	}
	a := p.Account()
	if a.Lost() != 0 || a.Free != free || a.Free+a.OnRings != a.Total {
		t.Errorf("after the transmission: %+v, lost %d; want %d free and every other frame on a fill ring", a, a.Lost(), free)
	}
	var rx uint64
	for _, dev := range []string{"eth0", "eth1"} {
		l, err := peer.Link(dev)
		if err != nil {
			t.Fatal(err)
		}
		rx += l.Attrs().Statistics.RxPackets
	}
	if rx < total {
		t.Errorf("the peers received %d frames, want at least %d", rx, total)
	}
}

// BenchmarkFlushIdle is the cost of a worker's Flush when nothing moved:
// both fill rings full, no TX, no completions (it was thousands of
// frames moved off the free pool and back before the fill rings were
// topped up by their free room).
func BenchmarkFlushIdle(b *testing.B) {
	p, _ := testPort(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Flush()
	}
}
