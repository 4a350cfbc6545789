package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// xdpProg returns the id of the XDP program attached to the director's
// eth0, 0 if none.
func (h *harness) xdpProg() uint32 {
	h.t.Helper()
	l, err := h.dr.Director.Link("eth0")
	if err != nil {
		h.t.Fatal(err)
	}
	if x := l.Attrs().Xdp; x != nil && x.Attached {
		return x.ProgId
	}
	return 0
}

// vipAnsweredBy makes one TCP round-trip to the IPv4 VIP and returns who
// answered.
func (h *harness) vipAnsweredBy() string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, _, err := labtraffic.TCPRound(ctx, h.dr.Client, vip4tcp.String(), []byte("who is there?"), 20*time.Second)
	if err != nil {
		h.t.Fatalf("round-trip to %s: %v", vip4tcp, err)
	}
	return name
}

// configureAndCheck sets up the IPv4 TCP service over both real servers
// and checks that the VIP is served by them, not by the director's kernel.
func (h *harness) configureAndCheck() {
	h.t.Helper()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 6, Bytes: 8 << 10})
	checkSplit(h.t, rep.Targets[0], map[string]int{"rs1": 3, "rs2": 3})
}

// TestLifecycleSIGTERMAndKill9 stops xlvsd the two ways an operator does.
// SIGTERM: exit code 0, the XDP program is gone from eth0, the control
// socket file is removed, and the director's kernel serves its own
// addresses again (a listener on the VIP in the director namespace answers,
// and the real servers' own addresses work). kill -9: the kernel detaches
// the XDP program with the process (bpf_link), the stale socket file stays,
// and a new xlvsd on the same --socket path starts, takes configuration and
// forwards.
func TestLifecycleSIGTERMAndKill9(t *testing.T) {
	h := newHarness(t, "e2elife", labtraffic.DROptions{})
	// The director's own service on the VIP: it answers only when xlvsd
	// does not steer the VIP's traffic.
	local, err := labtraffic.Serve(h.dr.Director, "director", []string{vip4tcp.String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	if got := h.vipAnsweredBy(); got != "director" {
		t.Fatalf("before xlvsd, the VIP was answered by %q, want the director's kernel", got)
	}

	d := h.startDirector()
	if h.xdpProg() == 0 {
		t.Fatal("no XDP program attached to the director's eth0 while xlvsd runs")
	}
	h.configureAndCheck()
	checkFrameAccounting(t, d.stop(), 1)

	if id := h.xdpProg(); id != 0 {
		t.Errorf("XDP program %d still attached to eth0 after SIGTERM", id)
	}
	if _, err := os.Stat(h.socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("control socket %s after SIGTERM: %v, want it removed", h.socket, err)
	}
	if got := h.vipAnsweredBy(); got != "director" {
		t.Errorf("after SIGTERM the VIP was answered by %q, want the director's kernel", got)
	}
	direct := h.dr.DirectPlan()
	direct.Conns, direct.Datagrams = 2, 2
	h.traffic(direct)

	// kill -9, then a restart on the same socket path.
	d = h.startDirector()
	h.configureAndCheck()
	d.kill9()
	if _, err := os.Stat(h.socket); err != nil {
		t.Errorf("control socket after kill -9: %v (expected a stale file)", err)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		return h.xdpProg() == 0, "the XDP program is still attached after kill -9"
	})
	if got := h.vipAnsweredBy(); got != "director" {
		t.Errorf("after kill -9 the VIP was answered by %q, want the director's kernel (no black hole)", got)
	}

	d = h.startDirector()
	if h.adm("-L", "-n") != listing(h.tabSize()) {
		t.Errorf("a restarted xlvsd lists services it was never given")
	}
	h.configureAndCheck()
	checkFrameAccounting(t, d.stop(), 1)
	if _, err := os.Stat(h.socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("control socket %s after SIGTERM: %v, want it removed", h.socket, err)
	}
}
