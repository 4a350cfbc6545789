//go:build linux

package fwd

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// path is gen eth0 ─ dut eth0, dut eth1 ─ sink eth0: the harness's
// generator → director → sink, with the sink program counting.
type path struct {
	gen, dut, sink  *netlab.NS
	in, out         int // dut's eth0 and eth1
	outMAC, sinkMAC net.HardwareAddr
	dutInMAC        net.HardwareAddr
	sinkProg        *pktgen.Sink
	genIndex        int
	genMAC          net.HardwareAddr
}

func newPath(t *testing.T, name string) *path {
	t.Helper()
	lab := netlab.NewT(t, name)
	p := &path{}
	var err error
	for _, n := range []struct {
		ns   **netlab.NS
		name string
	}{{&p.gen, "gen"}, {&p.dut, "dut"}, {&p.sink, "sink"}} {
		if *n.ns, err = lab.AddNS(n.name); err != nil {
			t.Fatal(err)
		}
		// No IPv6: no router solicitations or MLD through the forwarder.
		if err := (*n.ns).SetSysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil {
			t.Fatal(err)
		}
	}
	o := netlab.LinkOptions{Queues: 1}
	if err := lab.Veth(p.gen, "eth0", p.dut, "eth0", o); err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(p.dut, "eth1", p.sink, "eth0", o); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p.in, err = p.dut.LinkIndex("eth0")
	must(err)
	p.out, err = p.dut.LinkIndex("eth1")
	must(err)
	p.dutInMAC, err = p.dut.MAC("eth0")
	must(err)
	p.outMAC, err = p.dut.MAC("eth1")
	must(err)
	p.sinkMAC, err = p.sink.MAC("eth0")
	must(err)
	p.genMAC, err = p.gen.MAC("eth0")
	must(err)
	p.genIndex, err = p.gen.LinkIndex("eth0")
	must(err)
	idx, err := p.sink.LinkIndex("eth0")
	must(err)
	must(p.sink.Do(func() (err error) { p.sinkProg, err = pktgen.NewSink(idx, pktgen.SinkOptions{}); return err }))
	t.Cleanup(func() { p.sinkProg.Close() })
	return p
}

// send sends n UDP frames of 50 flows from gen to dut's eth0, paced so
// that no ring overflows: every frame must come out of the forwarder.
func (p *path) send(t *testing.T, n uint64) {
	t.Helper()
	spec := pktgen.Spec{Kind: pktgen.UDP, DstPort: 9, FrameSize: 64, SrcMAC: p.genMAC, DstMAC: p.dutInMAC,
		SrcAddrs: pktgen.AddrRange{First: netip.MustParseAddr("198.18.1.2"), Count: 10},
		SrcPorts: pktgen.PortRange{First: 1024, Count: 5}, Flows: 50,
		VIPs: []netip.Addr{netip.MustParseAddr("198.18.1.100")}}
	tmpl, err := pktgen.NewTemplate(spec)
	if err != nil {
		t.Fatal(err)
	}
	pacer, err := pktgen.NewPacer(100_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = p.gen.Do(func() error {
		l, err := pktgen.NewLive(tmpl, p.genIndex, n)
		if err != nil {
			return err
		}
		defer l.Close()
		res, err := pktgen.Run(l, pktgen.RunOptions{Count: n, Pacer: pacer})
		if err == nil && res.Sent != n {
			t.Errorf("generator sent %d frames, want %d", res.Sent, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitSink waits until the sink has counted n frames or a second passes,
// and checks it counted exactly n (60 bytes each without the FCS).
func (p *path) waitSink(t *testing.T, n uint64) {
	t.Helper()
	var got pktgen.Tally
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if got, err = p.sinkProg.Read(); err != nil {
			t.Fatal(err)
		}
		if got.Packets >= n {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // anything beyond n would show now
	got, err := p.sinkProg.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got.Packets != n || got.Bytes != n*60 {
		t.Errorf("sink counted %d frames, %d bytes; want exactly %d frames of 60 bytes", got.Packets, got.Bytes, n)
	}
}

// TestXSKForwarderExact forwards N frames through the bare AF_XDP
// forwarder: the sink counts exactly N and the forwarder's own counters
// say N forwarded, none dropped.
func TestXSKForwarderExact(t *testing.T) {
	p := newPath(t, "fwdxsk")
	var f *XSKForwarder
	if err := p.dut.Do(func() (err error) {
		f, err = NewXSKForwarder(p.in, p.out, p.outMAC, p.sinkMAC, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- f.Run(stop, 0) }()
	const n = 20_000
	p.send(t, n)
	p.waitSink(t, n)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fw, dr := f.Counters(); fw != n || dr != 0 {
		t.Errorf("forwarder counted %d forwarded, %d dropped; want %d, 0", fw, dr, n)
	}
}

// TestReflectorExact forwards N frames through the XDP reflector: the
// sink counts exactly N.
func TestReflectorExact(t *testing.T) {
	p := newPath(t, "fwdrefl")
	var r *Reflector
	if err := p.dut.Do(func() (err error) {
		r, err = NewReflector(p.in, p.out, p.outMAC, p.sinkMAC)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 20_000
	p.send(t, n)
	p.waitSink(t, n)
}

// TestBadConfig: forwarders refuse missing MAC addresses before touching
// the kernel.
func TestBadConfig(t *testing.T) {
	if _, err := NewXSKForwarder(1, 2, nil, net.HardwareAddr{2, 0, 0, 0, 0, 1}, 0); !errors.Is(err, ErrBadConfig) {
		t.Errorf("XSK forwarder without a source MAC: %v, want ErrBadConfig", err)
	}
	if _, err := NewReflector(1, 2, net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{1, 2}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("reflector with a 2-byte MAC: %v, want ErrBadConfig", err)
	}
}
