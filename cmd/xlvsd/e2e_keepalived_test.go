package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// e2eKeepalivedConf is the e2e configuration: the DR service on the IPv4 VIP
// with both lab real servers under TCP_CHECK (short timers), plus extra
// blocks.
func e2eKeepalivedConf(extra string) string {
	var b strings.Builder
	b.WriteString(`! e2e: two real servers, TCP_CHECK
global_defs {
    router_id e2e
}
virtual_server 198.18.0.100 80 {
    delay_loop 0.2
    lb_algo rr
    lb_kind DR
    protocol TCP
`)
	for i := range 2 {
		fmt.Fprintf(&b, `    real_server %s 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.1
            warmup 0
        }
    }
`, labtraffic.RSAddr4(i))
	}
	b.WriteString("}\n")
	b.WriteString(extra)
	return b.String()
}

// TestKeepalivedHealthChecks runs xlvsd --keepalived-conf: a real server
// whose listener stops leaves the listing and the traffic, and returns
// when it listens again; SIGHUP with an unrelated change keeps an
// established connection, the failing server's state and the unchanged
// service as they are. The checks go through the director's kernel stack:
// while no client sends anything, the workers receive no frame at all.
func TestKeepalivedHealthChecks(t *testing.T) {
	h := newHarness(t, "e2eka", labtraffic.DROptions{})
	conf := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(conf, []byte(e2eKeepalivedConf("")), 0o644); err != nil {
		t.Fatal(err)
	}
	d := h.startDirector("--keepalived-conf", conf)
	both := listing(h.tabSize(), svcListing{"TCP", vip4tcp, "rr", []destListing{
		{rip(labtraffic.VIP4, 0, 80), "Route", 1, 0, 0},
		{rip(labtraffic.VIP4, 1, 80), "Route", 1, 0, 0},
	}})
	only1 := listing(h.tabSize(), svcListing{"TCP", vip4tcp, "rr", []destListing{
		{rip(labtraffic.VIP4, 0, 80), "Route", 1, 0, 0},
	}})
	waitListing(h, both)

	// Several rounds of checks (every 0.2s) pass, none through the workers.
	time.Sleep(time.Second)
	waitListing(h, both)
	c := h.counters()
	if n := c["rx-packets"]; n != 0 {
		t.Errorf("the workers received %d frames while only health checks ran: checks must stay in the kernel", n)
	}
	if c["xdp-pass-not-vip"] == 0 {
		t.Errorf("the XDP program passed no frame to the kernel: the checks' replies did not cross it")
	}

	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 10, Bytes: 1 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 5, "rs2": 5})

	h.servers[1].Close()
	waitListing(h, only1)
	if !strings.Contains(d.log.String(), "real server down, removed") {
		t.Errorf("no state change in xlvsd's log")
	}
	rep = h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 10, Bytes: 1 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 10})

	restartRS(t, h, 1)
	waitListing(h, both)
	rep = h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 10, Bytes: 1 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 5, "rs2": 5})

	// rs2 fails again; a connection is established (to rs1, the only one).
	h.servers[1].Close()
	waitListing(h, only1)
	old := dialLong(t, h.dr.Client, vip4tcp.String())
	old.roundTrip(t, 4<<10)
	if old.server != "rs1" {
		t.Fatalf("connection went to %s with rs2 down", old.server)
	}

	// SIGHUP with an unrelated change: a UDP service is added.
	before := d.log.String()
	extra := fmt.Sprintf("virtual_server %s 53 {\n lb_algo wrr\n lb_kind DR\n protocol UDP\n real_server %s 53 {\n weight 2\n }\n}\n",
		labtraffic.VIP4, labtraffic.RSAddr4(0))
	if err := os.WriteFile(conf, []byte(e2eKeepalivedConf(extra)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(d.log.String()[len(before):], "keepalived configuration reloaded"), "no reload in xlvsd's log"
	})
	udp := h.adm("-L", "-n", "-u", vip4udp.String())
	if !strings.Contains(udp, fmt.Sprintf("-> %-28s %-7s %-6d", netip.AddrPortFrom(labtraffic.RSAddr4(0), 53), "Route", 2)) {
		t.Errorf("the added UDP service is not listed as configured:\n%s", udp)
	}
	// The TCP service was not touched: no request for it in the log, rs2
	// not revived, the connection alive.
	after := d.log.String()[len(before):]
	for _, line := range strings.Split(after, "\n") {
		if strings.Contains(line, "tcp 198.18.0.100:80") && (strings.Contains(line, "msg=\"service") || strings.Contains(line, "msg=\"real server added") || strings.Contains(line, "msg=\"real server deleted")) {
			t.Errorf("the reload changed the unchanged service: %s", line)
		}
	}
	_, only1Svc, _ := strings.Cut(only1, "\n") // -L -t prints no version line
	for range 5 {
		if got := maskConns(h.adm("-L", "-n", "-t", vip4tcp.String())); got != maskConns(only1Svc) {
			t.Fatalf("after the reload the failing rs2 is back or rs1 is gone:\n%s", markEOL(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 3 {
		old.roundTrip(t, 4<<10)
	}

	// A reload with an error keeps everything.
	if err := os.WriteFile(conf, []byte(e2eKeepalivedConf(extra)+"virtual_server 198.18.0.100 {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before = d.log.String()
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(d.log.String()[len(before):], "reload refused"), "no refused reload in xlvsd's log"
	})
	if !strings.Contains(d.log.String()[len(before):], "keepalived.conf:") {
		t.Errorf("the refusal does not name file:line:\n%s", d.log.String()[len(before):])
	}
	waitListing(h, listing(h.tabSize(),
		svcListing{"TCP", vip4tcp, "rr", []destListing{{rip(labtraffic.VIP4, 0, 80), "Route", 1, 0, 0}}},
		svcListing{"UDP", vip4udp, "wrr", []destListing{{netip.AddrPortFrom(labtraffic.RSAddr4(0), 53), "Route", 2, 0, 0}}}))

	restartRS(t, h, 1)
	waitListing(h, listing(h.tabSize(),
		svcListing{"TCP", vip4tcp, "rr", []destListing{{rip(labtraffic.VIP4, 0, 80), "Route", 1, 0, 0}, {rip(labtraffic.VIP4, 1, 80), "Route", 1, 0, 0}}},
		svcListing{"UDP", vip4udp, "wrr", []destListing{{netip.AddrPortFrom(labtraffic.RSAddr4(0), 53), "Route", 2, 0, 0}}}))
	old.roundTrip(t, 4<<10)
	old.close(t)
	checkFrameAccounting(t, d.stop(), 1)
}

// waitListing waits (up to 20s: retry and delay_loop at work) until
// `xlvsadm -L -n` reads want byte for byte but for the ActiveConn and
// InActConn columns, which count the test's earlier connections.
func waitListing(h *harness, want string) {
	h.t.Helper()
	var got string
	waitFor(h.t, 20*time.Second, func() (bool, string) {
		got = h.adm("-L", "-n")
		return maskConns(got) == maskConns(want), fmt.Sprintf("xlvsadm -L -n:\n%s\nwant (connection counts aside):\n%s", markEOL(got), markEOL(want))
	})
}

// connCols are the connection counts at the end of a real-server line.
var connCols = regexp.MustCompile(`(?m)^(  -> .{28} .{7} .{6} )\d+ +\d+ +$`)

// maskConns replaces the connection counts of real-server lines by #.
func maskConns(s string) string { return connCols.ReplaceAllString(s, "${1}#") }

// restartRS starts real server i's traffic server again on its addresses.
func restartRS(t *testing.T, h *harness, i int) {
	t.Helper()
	old := h.servers[i]
	s, err := labtraffic.Serve(h.dr.RS[i], old.Name(), old.TCPAddrs(), old.UDPAddrs())
	if err != nil {
		t.Fatalf("restarting %s: %v", old.Name(), err)
	}
	h.servers[i] = s
	t.Cleanup(func() { s.Close() })
}
