package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/netlab"
)

// The topology of the namespace tests: namespace "peer" (the director's
// side, which also sends as the client) and namespace "rs" (the real
// server), joined by a veth pair eth0—eth0. The real server routes
// everything via the peer, so its answers to the client go back there.
const (
	peer4   = "198.18.0.1"
	rs4     = "198.18.0.2"
	peer6   = "fd00::1"
	rs6     = "fd00::2"
	client4 = "198.18.1.1"
	client6 = "fd00:1::1"
	vip4    = "198.18.0.100"
	vip6    = "fd00:ff::100"
)

// topo is one test's pair of namespaces.
type topo struct {
	t              *testing.T
	lab            *netlab.Lab
	peer, rs       *netlab.NS
	peerMAC, rsMAC header.MAC
	state          string // the state file of xlvs-rs in rs
}

func newTopo(t *testing.T) *topo {
	t.Helper()
	lab := netlab.NewT(t, "xlvsrs")
	peer, err := lab.AddNS("peer")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := lab.AddNS("rs")
	if err != nil {
		t.Fatal(err)
	}
	must(t, lab.Veth(peer, "eth0", rs, "eth0", netlab.LinkOptions{TxChecksumOff: true}))
	must(t, peer.AddAddr("eth0", peer4+"/24"))
	must(t, peer.AddAddr("eth0", peer6+"/64"))
	must(t, rs.AddAddr("eth0", rs4+"/24"))
	must(t, rs.AddAddr("eth0", rs6+"/64"))
	must(t, rs.AddRoute("0.0.0.0/0", peer4))
	must(t, rs.AddRoute("::/0", peer6))
	return &topo{
		t: t, lab: lab, peer: peer, rs: rs,
		peerMAC: nsMAC(t, peer, "eth0"), rsMAC: nsMAC(t, rs, "eth0"),
		state: filepath.Join(t.TempDir(), "state.json"),
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func nsMAC(t *testing.T, ns *netlab.NS, dev string) header.MAC {
	t.Helper()
	hw, err := ns.MAC(dev)
	if err != nil {
		t.Fatal(err)
	}
	var m header.MAC
	copy(m[:], hw)
	return m
}

// xlvsRS runs xlvs-rs with args (and --state) in the real server's
// namespace — this test binary re-executed as xlvs-rs — and returns its
// stdout, stderr and exit status.
func (tp *topo) xlvsRS(args ...string) (string, string, int) {
	tp.t.Helper()
	self, err := os.Executable()
	if err != nil {
		tp.t.Fatal(err)
	}
	cmd := tp.rs.Command(self, append(args, "--state", tp.state)...)
	cmd.Env = append(os.Environ(), runEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	case err != nil:
		tp.t.Fatalf("xlvs-rs %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// mustRS runs xlvs-rs and fails the test unless it exits 0.
func (tp *topo) mustRS(args ...string) string {
	tp.t.Helper()
	out, errOut, code := tp.xlvsRS(args...)
	if code != 0 {
		tp.t.Fatalf("xlvs-rs %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	return out
}

// sysctl reads a sysctl in the real server's namespace.
func (tp *topo) sysctl(path string) string {
	tp.t.Helper()
	v, err := tp.rs.Sysctl(path)
	if err != nil {
		tp.t.Fatal(err)
	}
	return v
}

// packetSocket is an AF_PACKET socket on the peer's eth0 that sees every
// frame in and out; close it with unix.Close.
func (tp *topo) packetSocket() int {
	tp.t.Helper()
	ifindex, err := tp.peer.LinkIndex("eth0")
	if err != nil {
		tp.t.Fatal(err)
	}
	fd := -1
	err = tp.peer.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex})
	})
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.t.Cleanup(func() { unix.Close(fd) })
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	must(tp.t, unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// send transmits frames out of the peer's eth0 through fd.
func (tp *topo) send(fd int, frames ...[]byte) {
	tp.t.Helper()
	ifindex, err := tp.peer.LinkIndex("eth0")
	if err != nil {
		tp.t.Fatal(err)
	}
	for _, f := range frames {
		sa := &unix.SockaddrLinklayer{Ifindex: ifindex, Halen: 6}
		copy(sa.Addr[:], f[:6])
		if err := unix.Sendto(fd, f, 0, sa); err != nil {
			tp.t.Fatalf("send %d-byte frame: %v", len(f), err)
		}
	}
}

// receive reads frames from fd until match accepts one (returned) or
// until the deadline (nil).
func receive(fd int, within time.Duration, match func([]byte) bool) []byte {
	buf := make([]byte, 4096)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue // EAGAIN at each SO_RCVTIMEO tick
		}
		if sa, ok := from.(*unix.SockaddrLinklayer); ok && sa.Pkttype == unix.PACKET_OUTGOING {
			continue // what we sent ourselves
		}
		if match(buf[:n]) {
			return bytes.Clone(buf[:n])
		}
	}
	return nil
}
