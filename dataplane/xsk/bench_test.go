package xsk

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Copy-mode benchmarks on veth. Each b.Loop iteration moves one batch of
// batchSize frames; the "pps" metric is frames per second. They measure the
// machine as much as this package: see DESIGN.md §5 for reference figures.

const batchSize = 64

// generator transmits 60-byte UDP frames out of dev in ns from its own
// UMEM as fast as it can, until the returned stop function is called.
func generator(b *testing.B, l *lab, ns *netlab.NS, dev string, dstMAC []byte, srcIP, dstIP string) (stop func()) {
	b.Helper()
	u := newUMEM(b, UMEMOptions{FrameSize: 2048, FrameCount: 4096})
	o := DefaultSocketOptions()
	o.RXSize = 0
	s := bind(b, u, ns, dev, o)
	frame := udpFrame(dstMAC, mac(b, ns, dev), srcIP, dstIP, 5000, testPort, make([]byte, 18))
	f := NewFrameStack(u)
	for i := range u.FrameCount() {
		copy(u.Frame(uint64(i*2048), len(frame)), frame)
	}
	var quit atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		var descs [batchSize]Desc
		var addrs [2 * batchSize]uint64
		for !quit.Load() {
			s.Completion().ConsumeTo(f)
			n := f.PopN(addrs[:batchSize])
			for i := range n {
				descs[i] = Desc{Addr: addrs[i], Len: uint32(len(frame))}
			}
			m := s.TX().Transmit(descs[:n])
			for _, d := range descs[m:n] {
				f.Push(d.Addr)
			}
			s.TX().Kick()
		}
	}()
	return func() { quit.Store(true); <-done }
}

// BenchmarkCopyModeTX transmits from dut's eth0 to left, which drops
// every frame in XDP.
func BenchmarkCopyModeTX(b *testing.B) {
	l := newLab(b, "xskbtx", false)
	dropAll(b, l.left, "eth0")
	u := newUMEM(b, UMEMOptions{FrameSize: 2048, FrameCount: 4096})
	o := DefaultSocketOptions()
	o.RXSize = 0
	s := bind(b, u, l.dut, "eth0", o)
	frame := udpFrame(mac(b, l.left, "eth0"), mac(b, l.dut, "eth0"), leftNet[0], leftNet[1], 5000, testPort, make([]byte, 18))
	for i := range u.FrameCount() {
		copy(u.Frame(uint64(i*2048), len(frame)), frame)
	}
	f := NewFrameStack(u)
	var descs [batchSize]Desc
	var addrs [batchSize]uint64
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		deadline := time.Now().Add(time.Second)
		for n := 0; n < batchSize; {
			s.Completion().ConsumeTo(f)
			k := f.PopN(addrs[:batchSize-n])
			for i := range k {
				descs[i] = Desc{Addr: addrs[i], Len: uint32(len(frame))}
			}
			m := s.TX().Transmit(descs[:k])
			f.PushDescs(descs[m:k])
			n += m
			if err := s.TX().Kick(); err != nil {
				b.Fatal(err)
			}
			if time.Now().After(deadline) {
				b.Fatal("TX ring stuck")
			}
		}
		sent += batchSize
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "pps")
}

// BenchmarkCopyModeRX receives on dut's eth0 what an AF_XDP generator in
// left sends. The generator's core also runs the XDP program and the
// kernel's copy into the UMEM, so its rate bounds this one; when the
// receiving thread is descheduled, the frames pile up on the RX ring, the
// fill ring runs dry and the kernel drops (RXFillRingEmptyDescs).
func BenchmarkCopyModeRX(b *testing.B) {
	l := newLab(b, "xskbrx", false)
	xsks := redirect(b, l.dut, "eth0")
	u := newUMEM(b, UMEMOptions{FrameSize: 2048, FrameCount: 4096})
	s := bind(b, u, l.dut, "eth0", DefaultSocketOptions())
	if err := xsks.Put(uint32(0), uint32(s.FD())); err != nil {
		b.Fatal(err)
	}
	f := NewFrameStack(u)
	s.Fill().ProduceFrom(f, 2048)
	stop := generator(b, l, l.left, "eth0", mac(b, l.dut, "eth0"), leftNet[1], leftNet[0])
	defer stop()
	var descs [batchSize]Desc
	b.ReportAllocs()
	received := 0
	for b.Loop() {
		deadline := time.Now().Add(time.Second)
		for n := 0; n < batchSize; {
			k := s.RX().Receive(descs[:batchSize-n])
			f.PushDescs(descs[:k])
			s.Fill().ProduceFrom(f, k)
			n += k
			if k == 0 && time.Now().After(deadline) {
				b.Fatal("no frames received for a second")
			}
		}
		received += batchSize
	}
	b.ReportMetric(float64(received)/b.Elapsed().Seconds(), "pps")
	reportDrops(b, s)
}

// BenchmarkCopyModeForward receives on dut's eth0 and transmits the same
// descriptors, MACs rewritten in place, on dut's eth1 (shared UMEM); right
// drops them in XDP. A generator in left feeds it from the other core.
func BenchmarkCopyModeForward(b *testing.B) {
	l := newLab(b, "xskbfw", true)
	xsks := redirect(b, l.dut, "eth0")
	dropAll(b, l.right, "eth0")
	u := newUMEM(b, UMEMOptions{FrameSize: 2048, FrameCount: 4096})
	in := bind(b, u, l.dut, "eth0", DefaultSocketOptions())
	out := bind(b, u, l.dut, "eth1", DefaultSocketOptions())
	if err := xsks.Put(uint32(0), uint32(in.FD())); err != nil {
		b.Fatal(err)
	}
	f := NewFrameStack(u)
	in.Fill().ProduceFrom(f, 2048)
	rightMAC, dut1 := mac(b, l.right, "eth0"), mac(b, l.dut, "eth1")
	stop := generator(b, l, l.left, "eth0", mac(b, l.dut, "eth0"), rightNet[0], rightNet[1])
	defer stop()
	var descs [batchSize]Desc
	b.ReportAllocs()
	forwarded := 0
	for b.Loop() {
		deadline := time.Now().Add(time.Second)
		for n := 0; n < batchSize; {
			k := in.RX().Receive(descs[:batchSize-n])
			for _, d := range descs[:k] {
				frame := u.Frame(d.Addr, int(d.Len))
				copy(frame[0:6], rightMAC)
				copy(frame[6:12], dut1)
			}
			m := out.TX().Transmit(descs[:k])
			f.PushDescs(descs[m:k]) // TX ring full: drop
			out.TX().Kick()
			out.Completion().ConsumeTo(f)
			in.Fill().ProduceFrom(f, f.Len())
			n += m
			if k == 0 && time.Now().After(deadline) {
				b.Fatal("no frames forwarded for a second")
			}
		}
		forwarded += batchSize
	}
	b.ReportMetric(float64(forwarded)/b.Elapsed().Seconds(), "pps")
	reportDrops(b, in)
}

func reportDrops(b *testing.B, s *Socket) {
	if st, err := s.Statistics(); err == nil {
		b.Logf("receiver statistics: %+v", st)
	}
}
