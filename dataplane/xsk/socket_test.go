package xsk

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

const testPort = 9000

// smallOptions are socket options with 256-entry rings.
func smallOptions() SocketOptions {
	o := DefaultSocketOptions()
	o.FillSize, o.CompletionSize, o.RXSize, o.TXSize = 256, 256, 256, 256
	return o
}

// checkAccounting waits until every frame of f's UMEM is either on f or on
// one of the rings of socks, plus inHand frames the test holds.
func checkAccounting(t *testing.T, f *FrameStack, inHand int, socks ...*Socket) {
	t.Helper()
	settle(t, func() string {
		total := f.Len() + inHand
		var parts []string
		for _, s := range socks {
			total += s.Held()
			parts = append(parts, fmt.Sprintf("fill %d rx %d tx %d comp %d", s.Fill().Len(), s.RX().Len(), s.TX().Len(), s.Completion().Len()))
		}
		if total == f.Cap() {
			return ""
		}
		return fmt.Sprintf("frames: stack %d + in hand %d + rings [%s] = %d, want %d", f.Len(), inHand, strings.Join(parts, "; "), total, f.Cap())
	})
}

func payload(prefix string, i int) []byte {
	return fmt.Appendf(nil, "%s-%04d-%s", prefix, i, strings.Repeat("x", i%200))
}

func TestReceive(t *testing.T) {
	l := newLab(t, "xskrx", false)
	xsks := redirect(t, l.dut, "eth0")
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 512})
	s := bind(t, u, l.dut, "eth0", smallOptions())
	t.Logf("bound: zero-copy %v, need-wakeup %v", s.ZeroCopy(), s.NeedWakeup())
	if err := xsks.Put(uint32(0), uint32(s.FD())); err != nil {
		t.Fatal(err)
	}
	f := NewFrameStack(u)
	if n := s.Fill().ProduceFrom(f, 1000); n != 256 {
		t.Fatalf("ProduceFrom into a 256-entry fill ring = %d", n)
	}
	checkAccounting(t, f, 0, s)

	const count = 300 // more than the fill ring: frames must be recycled
	send := packetSender(t, l.left, "eth0")
	dutMAC, leftMAC := mac(t, l.dut, "eth0"), mac(t, l.left, "eth0")
	sent := make([][]byte, count)
	got := make([]bool, count)
	received := 0
	var descs [64]Desc
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; received < count; {
		// Keep at most 64 frames in flight so nothing is dropped.
		for ; i < count && i-received < 64; i++ {
			sent[i] = udpFrame(dutMAC, leftMAC, leftNet[1], leftNet[0], 5000, testPort, payload("rx", i))
			send(sent[i])
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d frames", received, count)
		}
		if err := s.WaitRX(100); err != nil {
			t.Fatal(err)
		}
		n := s.RX().Receive(descs[:])
		for _, d := range descs[:n] {
			if d.Addr%2048 != PacketHeadroom {
				t.Errorf("received at %d: offset %d in its frame, want %d", d.Addr, d.Addr%2048, PacketHeadroom)
			}
			frame := u.Frame(d.Addr, int(d.Len))
			var k int
			if p := payloadOf(frame, testPort); p == nil || !bytes.HasPrefix(p, []byte("rx-")) {
				t.Logf("ignoring a foreign frame of %d bytes", len(frame))
			} else if _, err := fmt.Sscanf(string(p[3:7]), "%d", &k); err != nil || k >= count || got[k] {
				t.Errorf("unexpected or duplicate payload %q", p)
			} else if !bytes.Equal(frame, sent[k]) {
				t.Errorf("frame %d differs:\n got %x\nwant %x", k, frame, sent[k])
			} else {
				got[k] = true
				received++
			}
			f.Push(d.Addr)
		}
		s.Fill().ProduceFrom(f, n)
	}
	checkAccounting(t, f, 0, s)
	st, err := s.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	if st.RXDropped != 0 || st.RXRingFull != 0 || st.RXInvalidDescs != 0 {
		t.Errorf("statistics after lossless receive: %+v", st)
	}
}

func TestTransmit(t *testing.T) {
	l := newLab(t, "xsktx", false)
	u := newUMEM(t, UMEMOptions{FrameSize: 4096, FrameCount: 256})
	o := smallOptions()
	o.RXSize = 0 // a transmit-only socket
	s := bind(t, u, l.dut, "eth0", o)
	if s.RX().Size() != 0 || s.TX().Size() != 256 {
		t.Fatalf("RX size %d, TX size %d; want 0, 256", s.RX().Size(), s.TX().Size())
	}
	rcv := udpReceiver(t, l.left, leftNet[1]+":9000")
	dutMAC, leftMAC := mac(t, l.dut, "eth0"), mac(t, l.left, "eth0")
	f := NewFrameStack(u)

	const count = 200 // several kicks: copy mode sends 32 per call
	descs := make([]Desc, count)
	want := map[string]bool{}
	sentAddrs := map[uint64]bool{}
	for i := range descs {
		a, ok := f.Pop()
		if !ok {
			t.Fatal("frame stack ran empty")
		}
		p := payload("tx", i)
		frame := udpFrame(leftMAC, dutMAC, leftNet[0], leftNet[1], 5000, testPort, p)
		d := Desc{Addr: a + PacketHeadroom, Len: uint32(len(frame))}
		copy(u.Frame(d.Addr, len(frame)), frame)
		descs[i] = d
		want[string(p)] = true
		sentAddrs[d.Addr] = true
	}
	if n := s.TX().Transmit(descs); n != count {
		t.Fatalf("Transmit(%d) on an empty 256-entry ring = %d", count, n)
	}
	checkAccounting(t, f, 0, s) // all on the TX ring
	if !s.TX().NeedWakeup() {
		t.Error("copy-mode TX ring does not ask for a wakeup")
	}
	// One Kick sends beyond the kernel's per-call budget of 32.
	if err := s.TX().Kick(); err != nil {
		t.Fatalf("Kick: %v", err)
	}
	left := s.TX().Len()
	t.Logf("one Kick left %d of %d frames on the TX ring", left, count)
	if left > count-2*32 {
		t.Errorf("one Kick left %d of %d frames on the TX ring, want more than one budget of 32 sent", left, count)
	}
	completed := make([]uint64, 0, count)
	var buf [64]uint64
	settle(t, func() string {
		if err := s.TX().Kick(); err != nil {
			return "Kick: " + err.Error()
		}
		n := s.Completion().Consume(buf[:])
		completed = append(completed, buf[:n]...)
		if len(completed) < count {
			return fmt.Sprintf("%d of %d frames completed", len(completed), count)
		}
		return ""
	})
	for _, a := range completed {
		if !sentAddrs[a] {
			t.Errorf("completion of %d, which was not transmitted", a)
		}
		delete(sentAddrs, a)
		f.Push(a)
	}
	checkAccounting(t, f, 0, s)
	timeout := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case p := <-rcv:
			if !want[string(p)] {
				t.Fatalf("left received unexpected datagram %q", p)
			}
			delete(want, string(p))
		case <-timeout:
			t.Fatalf("left is missing %d of %d datagrams", len(want), count)
		}
	}
	if st, err := s.Statistics(); err != nil || st.TXInvalidDescs != 0 {
		t.Errorf("Statistics() = %+v, %v", st, err)
	}

	// The per-batch TX work on a live socket does not allocate.
	frame := udpFrame(leftMAC, dutMAC, leftNet[0], leftNet[1], 5000, testPort+1, payload("alloc", 0))
	var one [1]Desc
	allocs := testing.AllocsPerRun(50, func() {
		a, _ := f.Pop()
		one[0] = Desc{Addr: a + PacketHeadroom, Len: uint32(len(frame))}
		copy(u.Frame(one[0].Addr, len(frame)), frame)
		if s.TX().Transmit(one[:]) != 1 {
			f.Push(a)
		}
		if err := s.TX().Kick(); err != nil {
			panic(err)
		}
		s.Completion().ConsumeTo(f)
	})
	if allocs != 0 {
		t.Errorf("Transmit+Kick+ConsumeTo allocate %v times per batch", allocs)
	}
}

// TestSharedUMEMForward receives frames on dut's eth0 and transmits the
// same descriptors, rewritten in place, on dut's eth1: two sockets on two
// devices sharing one UMEM, as a worker does.
func TestSharedUMEMForward(t *testing.T) {
	l := newLab(t, "xskfw", true)
	xsks := redirect(t, l.dut, "eth0")
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 1024})
	in := bind(t, u, l.dut, "eth0", smallOptions())
	out := bind(t, u, l.dut, "eth1", smallOptions())
	if in.Fill() == out.Fill() || in.Completion() == out.Completion() {
		t.Fatal("sockets on two devices share fill or completion rings")
	}
	if err := xsks.Put(uint32(0), uint32(in.FD())); err != nil {
		t.Fatal(err)
	}
	f := NewFrameStack(u)
	in.Fill().ProduceFrom(f, 256)

	rcv := udpReceiver(t, l.right, rightNet[1]+":9000")
	send := packetSender(t, l.left, "eth0")
	dut0, dut1 := mac(t, l.dut, "eth0"), mac(t, l.dut, "eth1")
	leftMAC, rightMAC := mac(t, l.left, "eth0"), mac(t, l.right, "eth0")

	const count, burst = 512, 32
	want := map[string]bool{}
	rxAddrs := map[uint64]bool{}
	forwarded := 0
	var descs [64]Desc
	var done [256]uint64
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; forwarded < count; {
		for ; i < count && i-forwarded < burst; i++ {
			p := payload("fw", i)
			want[string(p)] = true
			// Addressed to right at the IP level; dut rewrites the
			// Ethernet header only, as in DR mode.
			send(udpFrame(dut0, leftMAC, rightNet[0], rightNet[1], 5000, testPort, p))
		}
		if time.Now().After(deadline) {
			t.Fatalf("forwarded %d of %d frames", forwarded, count)
		}
		if err := in.WaitRX(100); err != nil {
			t.Fatal(err)
		}
		n := in.RX().Receive(descs[:])
		batch := descs[:0]
		for _, d := range descs[:n] {
			frame := u.Frame(d.Addr, int(d.Len))
			if payloadOf(frame, testPort) == nil {
				f.Push(d.Addr)
				continue
			}
			copy(frame[0:6], rightMAC)
			copy(frame[6:12], dut1)
			rxAddrs[d.Addr] = true
			batch = append(batch, d)
		}
		if m := out.TX().Transmit(batch); m != len(batch) {
			t.Fatalf("Transmit(%d) = %d", len(batch), m)
		}
		forwarded += len(batch)
		if err := out.TX().Kick(); err != nil {
			t.Fatal(err)
		}
		m := out.Completion().Consume(done[:])
		for _, a := range done[:m] {
			if !rxAddrs[a] {
				t.Fatalf("completion of %d, not a received descriptor", a)
			}
			delete(rxAddrs, a)
			f.Push(a)
		}
		in.Fill().ProduceFrom(f, 256)
	}
	// Drain: kick until every forwarded frame completed.
	settle(t, func() string {
		if err := out.TX().Kick(); err != nil {
			return err.Error()
		}
		m := out.Completion().Consume(done[:])
		for _, a := range done[:m] {
			delete(rxAddrs, a)
			f.Push(a)
		}
		if len(rxAddrs) > 0 {
			return fmt.Sprintf("%d forwarded frames not completed", len(rxAddrs))
		}
		return ""
	})
	checkAccounting(t, f, 0, in, out)
	timeout := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case p := <-rcv:
			if !want[string(p)] {
				t.Fatalf("right received unexpected datagram %q", p)
			}
			delete(want, string(p))
		case <-timeout:
			t.Fatalf("right is missing %d of %d datagrams", len(want), count)
		}
	}
}

// TestFrameAccounting parks frames on each ring in turn and checks that
// the rings' Len and the stack account for every frame at each step.
func TestFrameAccounting(t *testing.T) {
	l := newLab(t, "xskacct", true)
	xsks := redirect(t, l.dut, "eth0")
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 200})
	in := bind(t, u, l.dut, "eth0", smallOptions())
	out := bind(t, u, l.dut, "eth1", smallOptions())
	if err := xsks.Put(uint32(0), uint32(in.FD())); err != nil {
		t.Fatal(err)
	}
	f := NewFrameStack(u)
	checkAccounting(t, f, 0, in, out)

	in.Fill().ProduceFrom(f, 64)
	if in.Fill().Len() != 64 || f.Len() != 136 {
		t.Fatalf("fill %d, stack %d; want 64, 136", in.Fill().Len(), f.Len())
	}
	checkAccounting(t, f, 0, in, out)

	// Ten packets: the kernel moves ten frames from the fill to the RX
	// ring.
	send := packetSender(t, l.left, "eth0")
	dut0, leftMAC := mac(t, l.dut, "eth0"), mac(t, l.left, "eth0")
	rightMAC, dut1 := mac(t, l.right, "eth0"), mac(t, l.dut, "eth1")
	for i := range 10 {
		send(udpFrame(dut0, leftMAC, rightNet[0], rightNet[1], 5000, testPort, payload("acct", i)))
	}
	settle(t, func() string {
		if in.RX().Len() != 10 || in.Fill().Len() != 54 {
			return fmt.Sprintf("rx %d fill %d, want 10 54", in.RX().Len(), in.Fill().Len())
		}
		return ""
	})
	checkAccounting(t, f, 0, in, out)

	// In the worker's hands.
	var descs [16]Desc
	n := in.RX().Receive(descs[:])
	if n != 10 {
		t.Fatalf("Receive = %d, want 10", n)
	}
	checkAccounting(t, f, n, in, out)

	// On the TX ring of the other socket, not kicked: copy mode sends
	// only when asked.
	for _, d := range descs[:n] {
		frame := u.Frame(d.Addr, int(d.Len))
		copy(frame[0:6], rightMAC)
		copy(frame[6:12], dut1)
	}
	out.TX().Transmit(descs[:n])
	if out.TX().Len() != 10 {
		t.Fatalf("TX Len = %d, want 10", out.TX().Len())
	}
	checkAccounting(t, f, 0, in, out)

	// Sent and completed, not yet consumed.
	settle(t, func() string {
		out.TX().Kick()
		if out.Completion().Len() != 10 || out.TX().Len() != 0 {
			return fmt.Sprintf("completion %d tx %d, want 10 0", out.Completion().Len(), out.TX().Len())
		}
		return ""
	})
	checkAccounting(t, f, 0, in, out)

	if got := out.Completion().ConsumeTo(f); got != 10 {
		t.Fatalf("ConsumeTo = %d, want 10", got)
	}
	checkAccounting(t, f, 0, in, out)
	if f.Len() != 146 {
		t.Errorf("stack %d, want 146 (200 - 54 on the fill ring)", f.Len())
	}
}
