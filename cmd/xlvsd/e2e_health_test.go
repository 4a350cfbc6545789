package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// Timers of the failover configuration: a failing real server is down
// after its first failed check (at most delayLoop after it stops) and
// retry more, delayBeforeRetry apart.
const (
	foDelayLoop        = time.Second
	foRetry            = 2
	foDelayBeforeRetry = 500 * time.Millisecond
)

// failoverConf is a DR service on the IPv4 VIP over rs1 and rs2 under
// TCP_CHECK with the failover timers and the given weights; with sorry,
// rs3 is the sorry_server.
func failoverConf(w1, w2 int, sorry bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "virtual_server %s %d {\n    delay_loop %g\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n",
		labtraffic.VIP4, labtraffic.TCPPort, foDelayLoop.Seconds())
	if sorry {
		fmt.Fprintf(&b, "    sorry_server %s %d\n", labtraffic.RSAddr4(2), labtraffic.TCPPort)
	}
	for i, w := range []int{w1, w2} {
		fmt.Fprintf(&b, `    real_server %s %d {
        weight %d
        TCP_CHECK {
            connect_timeout 1
            retry %d
            delay_before_retry %g
            warmup 0
        }
    }
`, labtraffic.RSAddr4(i), labtraffic.TCPPort, w, foRetry, foDelayBeforeRetry.Seconds())
	}
	b.WriteString("}\n")
	return b.String()
}

// writeConf writes text to a keepalived.conf in a fresh directory (or over
// path when given) and returns its path.
func writeConf(t *testing.T, path, text string) string {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "keepalived.conf")
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// round is one client connection of a traffic loop.
type round struct {
	start, end time.Time
	server     string // who answered; "" on failure
	err        error
}

// trafficLoop makes short TCP round-trips to addr from ns, one after the
// other, until stopped; it records each. Every connection has a local port
// of its own (30000, 30001, ...): a port the kernel reuses after a refused
// connection would be the director's old connection to a real server that
// is gone (in DR the director never sees the reset), which is not what
// these tests look at.
type trafficLoop struct {
	mu     sync.Mutex
	rounds []round
	cancel context.CancelFunc
	done   chan struct{}
}

func startTrafficLoop(ns *netlab.NS, addr string) *trafficLoop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &trafficLoop{cancel: cancel, done: make(chan struct{})}
	data := []byte(strings.Repeat("health under traffic\n", 50))
	go func() {
		defer close(l.done)
		for port := 30000; ctx.Err() == nil && port < 65000; port++ {
			r := round{start: time.Now()}
			r.server, r.err = roundFrom(ctx, ns, netip.AddrPortFrom(labtraffic.ClientAddr4, uint16(port)), addr, data)
			r.end = time.Now()
			if ctx.Err() != nil {
				return // cut short by stop: not an outcome
			}
			l.mu.Lock()
			l.rounds = append(l.rounds, r)
			l.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return l
}

// roundFrom connects from src to addr (within 10s), sends data, half-closes
// and checks that a labtraffic server's name line and the exact echo come
// back; it returns the server's name.
func roundFrom(ctx context.Context, ns *netlab.NS, src netip.AddrPort, addr string, data []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(src)}
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	if _, err := c.Write(data); err != nil {
		return "", err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("after %d bytes: %w", len(b), err)
	}
	name, echo, ok := bytes.Cut(b, []byte{'\n'})
	if !ok || !bytes.Equal(echo, data) {
		return "", fmt.Errorf("answer of %d bytes is not a name line and the %d bytes sent", len(b), len(data))
	}
	return string(name), nil
}

// stop ends the loop and waits for it.
func (l *trafficLoop) stop() {
	l.cancel()
	<-l.done
}

// since returns the rounds that started at or after t.
func (l *trafficLoop) since(t time.Time) []round {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []round
	for _, r := range l.rounds {
		if !r.start.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// between counts the rounds that started in [from, to) by answering
// server ("" for failures).
func (l *trafficLoop) between(from, to time.Time) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]int{}
	for _, r := range l.rounds {
		if !r.start.Before(from) && r.start.Before(to) {
			m[r.server]++
		}
	}
	return m
}

// expectOnly waits until at least n rounds started at or after t and checks
// that every one of them succeeded and was answered by one of servers.
func (l *trafficLoop) expectOnly(t *testing.T, from time.Time, n int, servers ...string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() (bool, string) {
		return len(l.since(from)) >= n, fmt.Sprintf("fewer than %d round-trips since %v", n, from.Format(time.StampMilli))
	})
	per := map[string]int{}
	for _, r := range l.since(from) {
		per[r.server]++
		if r.err != nil {
			t.Errorf("round-trip started %v failed: %v", r.start.Format(time.StampMilli), r.err)
		}
	}
	for s := range per {
		ok := false
		for _, want := range servers {
			ok = ok || s == want
		}
		if !ok {
			t.Errorf("round-trips since %v answered by %v, want only %v", from.Format(time.StampMilli), per, servers)
			return
		}
	}
	t.Logf("round-trips since %v: %v", from.Format(time.StampMilli), per)
}

// waitListingTime is waitListing returning when the listing matched.
func waitListingTime(h *harness, want string) time.Time {
	h.t.Helper()
	waitListing(h, want)
	return time.Now()
}

// TestKeepalivedFailoverUnderTraffic: while a client keeps opening
// connections to the VIP, a real server that stops listening leaves the
// service within delay_loop + retry × delay_before_retry (and not before
// its retries are spent), after which every connection reaches the other
// one; it returns within a delay_loop of listening again. With both down
// the sorry server takes every connection, and leaves when one returns.
func TestKeepalivedFailoverUnderTraffic(t *testing.T) {
	h := newHarness(t, "e2efo", labtraffic.DROptions{RealServers: 3})
	d := h.startDirector("--keepalived-conf", writeConf(t, "", failoverConf(1, 1, true)))
	rs := func(i int) destListing { return destListing{rip(labtraffic.VIP4, i, 80), "Route", 1, 0, 0} }
	svc := func(dests ...destListing) string {
		return listing(h.tabSize(), svcListing{"TCP", vip4tcp, "wrr", dests})
	}
	waitListing(h, svc(rs(0), rs(1)))
	loop := startTrafficLoop(h.dr.Client, vip4tcp.String())
	defer loop.stop()
	loop.expectOnly(t, time.Now(), 20, "rs1", "rs2")

	// rs2 stops listening: its connections are refused until the checks
	// take it out.
	t0 := time.Now()
	h.servers[1].Close()
	t1 := waitListingTime(h, svc(rs(0)))
	took := t1.Sub(t0)
	least := time.Duration(foRetry) * foDelayBeforeRetry
	bound := foDelayLoop + least
	t.Logf("rs2 left the service %v after it stopped listening (retries alone take %v, the bound is %v); round-trips in between: %v",
		took, least, bound, loop.between(t0, t1))
	if took < least {
		t.Errorf("rs2 left after %v, before its %d retries %v apart were spent", took, foRetry, foDelayBeforeRetry)
	}
	// A loaded machine delays timers and the listing poll: allow 3s more.
	if took > bound+3*time.Second {
		t.Errorf("rs2 left after %v, want within delay_loop + retry × delay_before_retry = %v (+3s of slack)", took, bound)
	}
	if !strings.Contains(d.log.String(), "real server down, removed") {
		t.Errorf("no state change in xlvsd's log")
	}
	loop.expectOnly(t, t1, 20, "rs1")

	// rs2 listens again: back within a delay_loop, and it gets traffic.
	t2 := time.Now()
	restartRS(t, h, 1)
	t3 := waitListingTime(h, svc(rs(0), rs(1)))
	t.Logf("rs2 returned %v after listening again", t3.Sub(t2))
	if t3.Sub(t2) > foDelayLoop+3*time.Second {
		t.Errorf("rs2 returned after %v, want within delay_loop = %v (+3s of slack)", t3.Sub(t2), foDelayLoop)
	}
	loop.expectOnly(t, t3, 20, "rs1", "rs2")
	if n := loop.between(t3, time.Now())["rs2"]; n == 0 {
		t.Errorf("no round-trip reached rs2 after it returned")
	}

	// Both down: quorum is lost and the sorry server takes over.
	h.servers[0].Close()
	h.servers[1].Close()
	t4 := waitListingTime(h, svc(rs(2)))
	if !strings.Contains(d.log.String(), "quorum lost") {
		t.Errorf("no quorum change in xlvsd's log")
	}
	loop.expectOnly(t, t4, 20, "rs3")

	// rs1 returns: the sorry server leaves.
	restartRS(t, h, 0)
	t5 := waitListingTime(h, svc(rs(0)))
	loop.expectOnly(t, t5, 20, "rs1")
	loop.stop()
	checkFrameAccounting(t, d.stop(), 1)
}

// TestKeepalivedReloadWeightKeepsConnection: SIGHUP with a changed weight
// edits the real server in place: an established connection to it keeps
// carrying data on the same connection, the listing shows the new weight,
// nothing is deleted and new connections follow the new weights.
func TestKeepalivedReloadWeightKeepsConnection(t *testing.T) {
	h := newHarness(t, "e2ekaw", labtraffic.DROptions{})
	conf := writeConf(t, "", failoverConf(1, 1, false))
	d := h.startDirector("--keepalived-conf", conf)
	rs := func(i, w int) destListing { return destListing{rip(labtraffic.VIP4, i, 80), "Route", w, 0, 0} }
	waitListing(h, listing(h.tabSize(), svcListing{"TCP", vip4tcp, "wrr", []destListing{rs(0, 1), rs(1, 1)}}))

	old := dialLong(t, h.dr.Client, vip4tcp.String())
	old.roundTrip(t, 8<<10)
	i := 0
	if old.server == "rs2" {
		i = 1
	}
	weights := [2]int{1, 1}
	weights[i] = 3
	before := d.log.String()
	writeConf(t, conf, failoverConf(weights[0], weights[1], false))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(d.log.String()[len(before):], "keepalived configuration reloaded"), "no reload in xlvsd's log"
	})
	waitListing(h, listing(h.tabSize(), svcListing{"TCP", vip4tcp, "wrr", []destListing{rs(0, weights[0]), rs(1, weights[1])}}))
	got := h.adm("-L", "-n")
	line := fmt.Sprintf("  -> %-28s %-7s %-6d %-10d", rip(labtraffic.VIP4, i, 80), "Route", 3, 1)
	if !strings.Contains(got, line) {
		t.Errorf("after the reload the listing does not show %s at weight 3 with its connection active:\n%s", old.server, markEOL(got))
	}
	for range 5 {
		old.roundTrip(t, 8<<10)
	}
	after := d.log.String()[len(before):]
	if !strings.Contains(after, fmt.Sprintf(`msg="real server edited" service="tcp %s" server=%s weight=3`, vip4tcp, rip(labtraffic.VIP4, i, 80))) {
		t.Errorf("the reload did not edit %s's weight in place:\n%s", old.server, after)
	}
	for _, bad := range []string{"deleted", "removed", "request refused"} {
		if strings.Contains(after, bad) {
			t.Errorf("the reload logged %q:\n%s", bad, after)
		}
	}
	// wrr 3:1 from a fresh scheduler: two whole cycles.
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 8, Bytes: 1 << 10, Parallel: 1})
	other := map[string]string{"rs1": "rs2", "rs2": "rs1"}[old.server]
	checkSplit(t, rep.Targets[0], map[string]int{old.server: 6, other: 2})
	old.roundTrip(t, 8<<10)
	old.close(t)
	checkFrameAccounting(t, d.stop(), 1)
}
