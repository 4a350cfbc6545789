package pktgen

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/internal/netlab"
)

// pair is a generator namespace and a sink namespace joined by a veth
// pair (eth0 in both), the sink's program attached.
type pair struct {
	gen, sink *netlab.NS
	sinkProg  *Sink
	spec      Spec
}

func newPair(t *testing.T, name string) *pair {
	t.Helper()
	lab := netlab.NewT(t, name)
	p := &pair{}
	var err error
	if p.gen, err = lab.AddNS("gen"); err != nil {
		t.Fatal(err)
	}
	if p.sink, err = lab.AddNS("sink"); err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(p.gen, "eth0", p.sink, "eth0", netlab.LinkOptions{Queues: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ns   *netlab.NS
		addr string
	}{{p.gen, "198.18.1.2/24"}, {p.sink, "198.18.1.1/24"}} {
		if err := c.ns.AddAddr("eth0", c.addr); err != nil {
			t.Fatal(err)
		}
	}
	src, _ := p.gen.MAC("eth0")
	dst, _ := p.sink.MAC("eth0")
	idx, err := p.sink.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	err = p.sink.Do(func() (err error) {
		p.sinkProg, err = NewSink(idx, SinkOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sinkProg.Close() })
	p.spec = Spec{Kind: UDP, DstPort: 9, FrameSize: 64, SrcMAC: src, DstMAC: dst,
		SrcAddrs: AddrRange{netip.MustParseAddr("198.18.1.2"), 200}, SrcPorts: PortRange{1024, 50},
		VIPs: []netip.Addr{netip.MustParseAddr("198.18.1.1")}}
	return p
}

// send runs a counted run of n frames in the generator namespace.
func (p *pair) send(t *testing.T, mode string, n uint64) Result {
	t.Helper()
	tmpl, err := NewTemplate(p.spec)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.gen.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	// Paced at 200 kpps: the veth rings never overflow, so every frame
	// sent must arrive.
	pacer, _ := NewPacer(200_000, 0)
	err = p.gen.Do(func() error {
		var s Sender
		switch mode {
		case "live":
			l, err := NewLive(tmpl, idx, n)
			if err != nil {
				return err
			}
			defer l.Close()
			s = l
		case "xsk":
			x, err := NewXSKSender(tmpl, idx, XSKOptions{})
			if err != nil {
				return err
			}
			defer x.Close()
			s = x
		}
		var err error
		res, err = Run(s, RunOptions{Count: n, Pacer: pacer})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSendSinkExact sends N frames in each mode and checks the sink on the
// other end of the wire counted exactly N, with the right byte count.
func TestSendSinkExact(t *testing.T) {
	for _, mode := range []string{"live", "xsk"} {
		t.Run(mode, func(t *testing.T) {
			p := newPair(t, "pktgen"+mode)
			const n = 25_000
			res := p.send(t, mode, n)
			if res.Sent != n {
				t.Errorf("generator reports %d frames sent, want %d", res.Sent, n)
			}
			got, err := p.sinkProg.Read()
			if err != nil {
				t.Fatal(err)
			}
			if got.Packets != n || got.Bytes != n*60 {
				t.Errorf("sink counted %d frames, %d bytes; want exactly %d frames of 60 bytes (%d)", got.Packets, got.Bytes, n, n*60)
			}
		})
	}
}
