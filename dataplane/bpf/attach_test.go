//go:build linux

package bpf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"

	"github.com/xlvs/xlvs/internal/netlab"
)

// helperEnv makes the test binary act as a small program instead of running
// tests: "attach" loads the program, attaches it to the ifindex in
// helperIfindexEnv, prints "attached" and blocks until killed.
const (
	helperEnv        = "XLVS_BPF_TEST_HELPER"
	helperIfindexEnv = "XLVS_BPF_TEST_IFINDEX"
)

func helperAttach() int {
	ifindex, err := strconv.Atoi(os.Getenv(helperIfindexEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.Attach(ifindex); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("attached")
	time.Sleep(time.Minute)
	return 0
}

// lab is a director namespace dir and a peer namespace peer joined by a
// veth pair eth0 <-> eth0: 198.18.0.1/24, fd00:18::1/64 on dir and .2/::2
// on peer.
type lab struct {
	dir, peer *netlab.NS
	ifindex   int // of dir's eth0
}

func newLab(t *testing.T) lab {
	t.Helper()
	return newLabMTU(t, 0)
}

// newLabMTU is newLab with both ends' MTU set (0: default).
func newLabMTU(t *testing.T, mtu int) lab {
	t.Helper()
	l := netlab.NewT(t, "bpf")
	dir, err := l.AddNS("dir")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := l.AddNS("peer")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Veth(dir, "eth0", peer, "eth0", netlab.LinkOptions{MTU: mtu}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		ns   *netlab.NS
		cidr string
	}{{dir, "198.18.0.1/24"}, {dir, "fd00:18::1/64"}, {peer, "198.18.0.2/24"}, {peer, "fd00:18::2/64"}} {
		if err := a.ns.AddAddr("eth0", a.cidr); err != nil {
			t.Fatal(err)
		}
	}
	ifindex, err := dir.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	return lab{dir: dir, peer: peer, ifindex: ifindex}
}

// attach attaches s to the director's eth0 from inside its namespace.
func (l lab) attach(s *Steering) error {
	return l.dir.Do(func() error { return s.Attach(l.ifindex) })
}

// xdpProg returns the id of the XDP program netlink reports on the
// director's eth0, 0 if none, and the attach mode (nl.XDP_ATTACHED_*).
func (l lab) xdpProg(t *testing.T) (id, mode uint32) {
	t.Helper()
	link, err := l.dir.Link("eth0")
	if err != nil {
		t.Fatal(err)
	}
	xdp := link.Attrs().Xdp
	if xdp == nil || !xdp.Attached {
		return 0, 0
	}
	return xdp.ProgId, xdp.AttachMode
}

// progID is the kernel id of s's program.
func progID(t *testing.T, s *Steering) uint32 {
	t.Helper()
	info, err := s.objs.XlvsSteer.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Fatal("no program id")
	}
	return uint32(id)
}

// roundTrip echoes a message over TCP from the peer to addr in the
// director's namespace, through the kernel stacks of both.
func (l lab) roundTrip(t *testing.T, addr string) {
	t.Helper()
	ln, err := l.dir.ListenTCP(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := l.peer.DialTCP(ctx, addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := []byte("through the kernel")
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
		t.Fatalf("echo from %s: %q, %v", addr, got, err)
	}
}

func TestAttachedProgramLeavesKernelTrafficAlone(t *testing.T) {
	l := newLab(t)
	s := loadT(t)
	if err := l.attach(s); err != nil {
		t.Fatal(err)
	}
	if mode, err := s.Mode(l.ifindex); err != nil || mode != ModeNative {
		t.Errorf("Mode = %v, %v; want native on veth", mode, err)
	}
	if id, mode := l.xdpProg(t); id != progID(t, s) || mode != nl.XDP_ATTACHED_DRV {
		t.Fatalf("netlink: program %d mode %d, want program %d in driver mode", id, mode, progID(t, s))
	}

	// ARP, ND and TCP to non-VIP addresses go through the kernel.
	l.roundTrip(t, "198.18.0.1:7000")
	l.roundTrip(t, "[fd00:18::1]:7000")
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c["pass-not-ip"] == 0 || c["pass-not-vip"] == 0 {
		t.Errorf("counters %v: want ARP under pass-not-ip and the rest under pass-not-vip", c)
	}

	// A service without a socket falls back to the kernel; a VIP port
	// without a service is passed.
	vip := netip.MustParseAddr("198.18.0.1")
	if err := s.SetServices([]ServiceKey{{Proto: ProtoTCP, Addr: vip, Port: 80}}); err != nil {
		t.Fatal(err)
	}
	l.roundTrip(t, "198.18.0.1:80")
	l.roundTrip(t, "198.18.0.1:81")
	c2, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c2["pass-no-xsk"] == 0 || c2["pass-no-service"] == 0 {
		t.Errorf("counters %v: want pass-no-xsk for port 80 and pass-no-service for 81", c2)
	}

	if err := s.Detach(l.ifindex); err != nil {
		t.Fatal(err)
	}
	if id, _ := l.xdpProg(t); id != 0 {
		t.Fatalf("after Detach netlink still shows program %d", id)
	}
	if err := s.Detach(l.ifindex); !errors.Is(err, ErrNotAttached) {
		t.Errorf("second Detach: %v, want ErrNotAttached", err)
	}
	l.roundTrip(t, "198.18.0.1:7001")

	// Attach again, then Close removes it.
	if err := l.attach(s); err != nil {
		t.Fatal(err)
	}
	if err := l.attach(s); !errors.Is(err, ErrAttached) {
		t.Errorf("second Attach: %v, want ErrAttached", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if id, _ := l.xdpProg(t); id != 0 {
		t.Fatalf("after Close netlink still shows program %d", id)
	}
	if err := l.attach(s); !errors.Is(err, ErrClosed) {
		t.Errorf("Attach after Close: %v, want ErrClosed", err)
	}
}

func TestAttachFallsBackToGenericMode(t *testing.T) {
	// Native XDP on veth refuses a peer MTU above ~3500 bytes (ERANGE)
	// for programs that are not frags-aware.
	l := newLabMTU(t, 9000)
	s := loadT(t)
	if err := l.attach(s); err != nil {
		t.Fatal(err)
	}
	if mode, err := s.Mode(l.ifindex); err != nil || mode != ModeGeneric {
		t.Errorf("Mode = %v, %v; want generic", mode, err)
	}
	if id, mode := l.xdpProg(t); id != progID(t, s) || mode != nl.XDP_ATTACHED_SKB {
		t.Fatalf("netlink: program %d mode %d, want program %d in generic mode", id, mode, progID(t, s))
	}
	l.roundTrip(t, "198.18.0.1:7000")
	if err := s.Detach(l.ifindex); err != nil {
		t.Fatal(err)
	}
	if id, _ := l.xdpProg(t); id != 0 {
		t.Fatalf("after Detach netlink still shows program %d", id)
	}
}

func TestAttachReplacesStaleLegacyProgram(t *testing.T) {
	netlab.RequireRoot(t)
	for _, tc := range []struct {
		name  string
		flags int
		mode  uint32
	}{
		{"driver", nl.XDP_FLAGS_DRV_MODE, nl.XDP_ATTACHED_DRV},
		{"generic", nl.XDP_FLAGS_SKB_MODE, nl.XDP_ATTACHED_SKB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)

			// An older run attached its program the legacy way and
			// died: the program stays on the device.
			old := loadT(t)
			link, err := l.dir.Link("eth0")
			if err != nil {
				t.Fatal(err)
			}
			if err := l.dir.Do(func() error {
				return netlink.LinkSetXdpFdWithFlags(link, old.objs.XlvsSteer.FD(), tc.flags)
			}); err != nil {
				t.Fatal(err)
			}
			oldID := progID(t, old)
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}
			if id, mode := l.xdpProg(t); id != oldID || mode != tc.mode {
				t.Fatalf("stale program: netlink shows %d mode %d, want %d mode %d", id, mode, oldID, tc.mode)
			}

			s := loadT(t)
			if err := l.attach(s); err != nil {
				t.Fatalf("Attach over a stale program: %v", err)
			}
			if id, mode := l.xdpProg(t); id != progID(t, s) || mode != nl.XDP_ATTACHED_DRV {
				t.Errorf("netlink shows program %d mode %d, want %d in driver mode", id, mode, progID(t, s))
			}
			l.roundTrip(t, "198.18.0.1:7000")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if id, _ := l.xdpProg(t); id != 0 {
				t.Errorf("after Close netlink shows program %d", id)
			}
		})
	}
}

func TestAttachLeavesLiveLinkAlone(t *testing.T) {
	l := newLab(t)
	first, second := loadT(t), loadT(t)
	if err := l.attach(first); err != nil {
		t.Fatal(err)
	}
	if err := l.attach(second); !errors.Is(err, ErrBusy) {
		t.Fatalf("Attach while another link is live: %v, want ErrBusy", err)
	}
	if id, _ := l.xdpProg(t); id != progID(t, first) {
		t.Errorf("netlink shows program %d, want the first one (%d) untouched", id, progID(t, first))
	}
}

func TestKilledProcessLeavesNoProgram(t *testing.T) {
	l := newLab(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := l.dir.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=attach", helperIfindexEnv+"="+strconv.Itoa(l.ifindex))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "attached\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	if id, _ := l.xdpProg(t); id == 0 {
		t.Fatal("helper's program not attached")
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		id, _ := l.xdpProg(t)
		if id == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("program %d still attached after kill -9", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := loadT(t)
	if err := l.attach(s); err != nil {
		t.Fatalf("Attach after kill -9 of the previous owner: %v", err)
	}
	l.roundTrip(t, "198.18.0.1:7000")
}

func TestSlotsAndSockets(t *testing.T) {
	l := newLab(t)
	s := loadT(t)
	fd := xskFD(t)

	// Sockets may be registered before Attach; Detach forgets them.
	vip := netip.MustParseAddr("198.18.0.1")
	if err := s.SetServices([]ServiceKey{{Proto: ProtoTCP, Addr: vip, Port: 80}}); err != nil {
		t.Fatal(err)
	}
	service := ether().ipv4("198.18.0.2", "198.18.0.1").tcp(1000, 80).bytes()
	if err := s.SetXSK(l.ifindex, 0, fd); err != nil {
		t.Fatal(err)
	}
	if err := l.attach(s); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrameOn(t, s, l.dir, l.ifindex, service); action != xdpRedirect || reason != "steer-service-ipv4" {
		t.Errorf("socket set before Attach: got %d %q, want redirect steer-service-ipv4", action, reason)
	}
	if err := s.Detach(l.ifindex); err != nil {
		t.Fatal(err)
	}
	var slot uint32
	if err := s.objs.Ifslots.Lookup(uint32(l.ifindex), &slot); err == nil {
		t.Errorf("ifslots still has ifindex %d after Detach", l.ifindex)
	}
	if err := s.DeleteXSK(l.ifindex, 0); !errors.Is(err, ErrNotAttached) {
		t.Errorf("DeleteXSK after Detach: %v, want ErrNotAttached", err)
	}
	if err := l.attach(s); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrameOn(t, s, l.dir, l.ifindex, service); action != xdpPass || reason != "pass-no-xsk" {
		t.Errorf("re-attached without SetXSK: got %d %q, want pass pass-no-xsk", action, reason)
	}
	if err := s.SetXSK(l.ifindex, 0, fd); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrameOn(t, s, l.dir, l.ifindex, service); action != xdpRedirect || reason != "steer-service-ipv4" {
		t.Errorf("SetXSK after Attach: got %d %q, want redirect steer-service-ipv4", action, reason)
	}
	if err := s.Detach(l.ifindex); err != nil {
		t.Fatal(err)
	}

	for _, q := range []int{-1, MaxQueues} {
		if err := s.SetXSK(l.ifindex, q, fd); !errors.Is(err, ErrQueue) {
			t.Errorf("SetXSK queue %d: %v, want ErrQueue", q, err)
		}
	}
	// MaxInterfaces slots, then ErrTooManyInterfaces. The ifindexes need
	// not exist for SetXSK.
	for i := range MaxInterfaces {
		if err := s.SetXSK(1000+i, 0, fd); err != nil {
			t.Fatalf("interface %d: %v", i, err)
		}
	}
	if err := s.SetXSK(2000, 0, fd); !errors.Is(err, ErrTooManyInterfaces) {
		t.Errorf("interface %d: %v, want ErrTooManyInterfaces", MaxInterfaces, err)
	}
	if err := s.Detach(1005); err != nil {
		t.Fatal(err)
	}
	if err := s.SetXSK(2000, 0, fd); err != nil {
		t.Errorf("after freeing a slot: %v", err)
	}
}
