package xsk

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestRebindAfterClose(t *testing.T) {
	l := newLab(t, "xskrebind", false)
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64})
	idx := ifindex(t, l.dut, "eth0")
	o := smallOptions()
	retries := 0
	for i := range 5 {
		s, err := bindErr(u, l.dut, idx, o)
		if err != nil {
			t.Fatalf("bind %d right after close: %v", i, err)
		}
		retries += s.retries
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
	}
	t.Logf("5 binds right after close met EBUSY %d times", retries)

	// Without retries the kernel's EBUSY comes through, wrapped.
	o.BusyRetry = 0
	busy := 0
	for range 5 {
		s, err := bindErr(u, l.dut, idx, o)
		if err != nil {
			if !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "xsk: bind ifindex") {
				t.Fatalf("bind without retry: %v, want a wrapped EBUSY", err)
			}
			busy++
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.Close()
	}
	t.Logf("5 binds without retry met EBUSY %d times", busy)
}

func TestModes(t *testing.T) {
	l := newLab(t, "xskmode", true)
	idx0, idx1 := ifindex(t, l.dut, "eth0"), ifindex(t, l.dut, "eth1")

	// veth has no zero-copy AF_XDP.
	zc := smallOptions()
	zc.Mode = ModeZeroCopy
	_, err := bindErr(newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64}), l.dut, idx0, zc)
	if !errors.Is(err, ErrZeroCopyUnsupported) {
		t.Fatalf("ModeZeroCopy on veth: %v, want ErrZeroCopyUnsupported", err)
	}

	var told []int
	SetCopyModeHook(func(ifindex, queue int) { told = append(told, ifindex) })
	defer SetCopyModeHook(nil)
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64})
	s0 := bind(t, u, l.dut, "eth0", smallOptions())
	if s0.ZeroCopy() {
		t.Fatal("ModeAuto on veth reports zero-copy")
	}
	s1 := bind(t, u, l.dut, "eth1", smallOptions())
	if s1.ZeroCopy() {
		t.Fatal("shared socket on veth reports zero-copy")
	}
	s1.Close()
	bind(t, u, l.dut, "eth1", smallOptions())
	if len(told) != 2 || told[0] != idx0 || told[1] != idx1 {
		t.Errorf("copy-mode hook told %v, want [%d %d] once each", told, idx0, idx1)
	}

	// Sockets joining the UMEM must match the mode it runs in.
	_, err = bindErr(u, l.dut, idx1, zc)
	if !errors.Is(err, ErrModeMismatch) {
		t.Errorf("ModeZeroCopy on a copy-mode UMEM: %v, want ErrModeMismatch", err)
	}
	nw := smallOptions()
	nw.NeedWakeup = false
	if _, err := bindErr(u, l.dut, idx1, nw); !errors.Is(err, ErrModeMismatch) {
		t.Errorf("NeedWakeup false on a need-wakeup UMEM: %v, want ErrModeMismatch", err)
	}
	if _, err := bindErr(u, l.dut, idx0, smallOptions()); !errors.Is(err, ErrQueueInUse) {
		t.Errorf("second socket on eth0 queue 0: %v, want ErrQueueInUse", err)
	}

	// Once every socket is closed, the next Bind registers the UMEM
	// anew and may pick another mode.
	for _, s := range u.Sockets() {
		s.Close()
	}
	cp := smallOptions()
	cp.Mode, cp.NeedWakeup = ModeCopy, false
	s := bind(t, u, l.dut, "eth0", cp)
	if s.ZeroCopy() || s.NeedWakeup() || !s.TX().NeedWakeup() {
		t.Errorf("ModeCopy without need-wakeup: ZeroCopy %v NeedWakeup %v TX.NeedWakeup %v", s.ZeroCopy(), s.NeedWakeup(), s.TX().NeedWakeup())
	}
}

func TestSocketOptionsApplied(t *testing.T) {
	l := newLab(t, "xskopt", false)
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64})
	o := smallOptions()
	o.BusyPoll, o.BusyPollUsecs, o.BusyPollBudget = true, 25, 16
	o.TXBudget = 64
	s := bind(t, u, l.dut, "eth0", o)
	for _, c := range []struct {
		name string
		opt  int
		want int
	}{
		{"SO_PREFER_BUSY_POLL", unix.SO_PREFER_BUSY_POLL, 1},
		{"SO_BUSY_POLL", unix.SO_BUSY_POLL, 25},
	} {
		got, err := unix.GetsockoptInt(s.FD(), unix.SOL_SOCKET, c.opt)
		if err != nil || got != c.want {
			t.Errorf("%s = %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	if s.Ifindex() != ifindex(t, l.dut, "eth0") || s.Queue() != 0 || s.UMEM() != u {
		t.Errorf("Ifindex %d Queue %d UMEM %p", s.Ifindex(), s.Queue(), s.UMEM())
	}
}

func TestStatistics(t *testing.T) {
	l := newLab(t, "xskstat", false)
	xsks := redirect(t, l.dut, "eth0")
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64})
	s := bind(t, u, l.dut, "eth0", smallOptions())
	if err := xsks.Put(uint32(0), uint32(s.FD())); err != nil {
		t.Fatal(err)
	}
	// The fill ring is empty: the kernel has nowhere to put packets.
	send := packetSender(t, l.left, "eth0")
	dut0, leftMAC := mac(t, l.dut, "eth0"), mac(t, l.left, "eth0")
	for i := range 5 {
		send(udpFrame(dut0, leftMAC, leftNet[1], leftNet[0], 5000, testPort, payload("drop", i)))
	}
	settle(t, func() string {
		st, err := s.Statistics()
		if err != nil {
			return err.Error()
		}
		if st.RXDropped < 5 {
			return fmt.Sprintf("statistics with an empty fill ring after 5 packets: %+v", st)
		}
		return ""
	})
	if s.RX().Len() != 0 {
		t.Errorf("RX ring holds %d packets with an empty fill ring", s.RX().Len())
	}

	// A descriptor outside the UMEM is counted as invalid, not sent.
	if n := s.TX().Transmit([]Desc{{Addr: 64 * 2048, Len: 60}}); n != 1 {
		t.Fatal("Transmit failed")
	}
	settle(t, func() string {
		s.TX().Kick()
		st, err := s.Statistics()
		if err != nil {
			return err.Error()
		}
		if st.TXInvalidDescs != 1 || s.TX().Len() != 0 {
			return fmt.Sprintf("after an invalid TX descriptor: %+v, tx %d, completion %d", st, s.TX().Len(), s.Completion().Len())
		}
		return ""
	})
	var c [4]uint64
	n := s.Completion().Consume(c[:])
	t.Logf("completions after an invalid descriptor: %v", c[:n]) // [131072] on Linux 6.18
}

func TestPollerAndWakeRX(t *testing.T) {
	l := newLab(t, "xskpoll", true)
	xsks := redirect(t, l.dut, "eth1")
	u := newUMEM(t, UMEMOptions{FrameSize: 2048, FrameCount: 64})
	s0 := bind(t, u, l.dut, "eth0", smallOptions())
	s1 := bind(t, u, l.dut, "eth1", smallOptions())
	if err := xsks.Put(uint32(0), uint32(s1.FD())); err != nil {
		t.Fatal(err)
	}
	f := NewFrameStack(u)
	s1.Fill().ProduceFrom(f, 32)
	p := NewPoller(s0, s1)
	if n, err := p.Wait(0); n != 0 || err != nil {
		t.Fatalf("Wait(0) on idle sockets = %d, %v", n, err)
	}
	if err := s1.WakeRX(); err != nil {
		t.Fatalf("WakeRX: %v", err)
	}
	send := packetSender(t, l.right, "eth0")
	send(udpFrame(mac(t, l.dut, "eth1"), mac(t, l.right, "eth0"), rightNet[1], rightNet[0], 5000, testPort, payload("poll", 1)))
	n, err := p.Wait(5000)
	if err != nil || n != 1 || p.Ready(0) || !p.Ready(1) {
		t.Fatalf("Wait = %d, %v; ready %v %v; want socket 1 ready", n, err, p.Ready(0), p.Ready(1))
	}
	socks := []*Socket{s0, s1}
	polled := make(chan error, 1)
	go func() { polled <- Poll(socks, -1) }() // no timeout: must see the packet
	select {
	case err := <-polled:
		if err != nil {
			t.Fatalf("Poll with a packet waiting: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Poll without timeout does not return with a packet waiting")
	}
	allocs := testing.AllocsPerRun(20, func() {
		Poll(socks, 0)
		p.Wait(0)
		s0.WaitRX(0)
		s1.WakeRX()
	})
	if allocs != 0 {
		t.Errorf("Poll, Wait, WaitRX and WakeRX allocate %v times", allocs)
	}
}

func TestUMEMCloseClosesSockets(t *testing.T) {
	l := newLab(t, "xskclose", true)
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 64})
	if err != nil {
		t.Fatal(err)
	}
	s0 := bind(t, u, l.dut, "eth0", smallOptions())
	s1 := bind(t, u, l.dut, "eth1", smallOptions())
	f := NewFrameStack(u)
	s0.Fill().ProduceFrom(f, 8)
	if got := u.Sockets(); len(got) != 2 || got[0] != s0 || got[1] != s1 {
		t.Fatalf("Sockets() = %v, want [s0 s1]", got)
	}
	// Closing the socket that registered the UMEM leaves it usable by
	// the other, and by new ones.
	if err := s0.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := bind(t, u, l.dut, "eth0", smallOptions())
	if err := u.Close(); err != nil {
		t.Fatalf("UMEM.Close with open sockets: %v", err)
	}
	for i, s := range []*Socket{s1, s2} {
		if s.Held() != 0 || s.RX().Receive(make([]Desc, 1)) != 0 {
			t.Errorf("socket %d still has rings after UMEM.Close", i)
		}
		if err := s.Close(); err != nil {
			t.Errorf("socket %d: Close after UMEM.Close = %v", i, err)
		}
		if _, err := unix.GetsockoptInt(s.FD(), unix.SOL_XDP, unix.XDP_OPTIONS); err == nil {
			t.Errorf("socket %d: descriptor %d still open", i, s.FD())
		}
	}
	if len(u.Sockets()) != 0 {
		t.Errorf("Sockets() after Close = %v", u.Sockets())
	}
}
