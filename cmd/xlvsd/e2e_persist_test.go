package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// altPort is a second TCP port the real servers of these tests serve.
const altPort = 8080

// serveAltPort makes every real server answer on VIP4:altPort too.
func (h *harness) serveAltPort() {
	h.t.Helper()
	for i, rs := range h.dr.RS {
		s, err := labtraffic.Serve(rs, rsName(i), []string{netip.AddrPortFrom(labtraffic.VIP4, altPort).String()}, nil)
		if err != nil {
			h.t.Fatalf("serving %s:%d on rs%d: %v", labtraffic.VIP4, altPort, i+1, err)
		}
		h.t.Cleanup(func() { s.Close() })
	}
}

// hello connects from the client to VIP4:port, reads the name of the real
// server that answers and closes with a reset, so that the director's
// connection goes to CLOSE (10 s) rather than FIN_WAIT (2 min).
func (h *harness) hello(port uint16) string {
	t := h.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.dr.Client.DialTCP(ctx, netip.AddrPortFrom(labtraffic.VIP4, port).String())
	if err != nil {
		t.Fatalf("connect to port %d: %v", port, err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("port %d: reading the server's name: %v", port, err)
	}
	_ = c.SetLinger(0)
	return strings.TrimSuffix(line, "\n")
}

// persistConns returns the PersistConn column of `xlvsadm -L -n
// --persistent-conn` summed over the real servers.
func (h *harness) persistConns() int {
	h.t.Helper()
	n := 0
	for _, line := range strings.Split(h.adm("-L", "-n", "--persistent-conn"), "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "->" {
			v, err := strconv.Atoi(f[3])
			if err != nil {
				h.t.Fatalf("PersistConn column of %q: %v", line, err)
			}
			n += v
		}
	}
	return n
}

// rsName3 is rsName for up to 9 real servers.
func rsName3(i int) string { return "rs" + strconv.Itoa(i+1) }

// TestRRAndWRRSplitOverThreeServers: with two workers each scheduling with
// its own rr/wrr state, 120 connections split over three real servers as
// the weights say, each worker contributing whole cycles but for its last.
func TestRRAndWRRSplitOverThreeServers(t *testing.T) {
	h := newHarness(t, "e2ewrr", labtraffic.DROptions{RealServers: 3, Queues: 2})
	d := h.startDirector("--queues", "2")
	for _, c := range []struct {
		sched   string
		weights []int
	}{{"rr", []int{1, 1, 1}}, {"wrr", []int{1, 2, 3}}} {
		h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, c.sched, c.weights...)
		const conns = 120
		rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: conns, Bytes: 512, Parallel: 8})
		total := 0
		for _, w := range c.weights {
			total += w
		}
		for i, w := range c.weights {
			want := conns * w / total
			// Each worker is at most one partial cycle off its share.
			if got := rep.Targets[0].PerServer[rsName3(i)]; math.Abs(float64(got-want)) > float64(2*w+2) {
				t.Errorf("%s weights %v: %s answered %d of %d connections, want %d±%d", c.sched, c.weights, rsName3(i), got, conns, want, 2*w+2)
			}
		}
		h.adm("-D", "-t", vip4tcp.String())
	}
	checkFrameAccounting(t, d.stop(), 2)
}

// TestPersistencePortZeroAcrossPortsAndRelease: a persistent port-0
// service keeps the client on one real server for every port of the VIP
// and across connections, shows one template in PersistConn, and releases
// the client once the template has expired (-p 2, after the connections it
// controls are gone): rr then moves on to the next server.
func TestPersistencePortZeroAcrossPortsAndRelease(t *testing.T) {
	h := newHarness(t, "e2epers", labtraffic.DROptions{RealServers: 3, Queues: 2})
	h.serveAltPort()
	d := h.startDirector("--queues", "2")
	svc := netip.AddrPortFrom(labtraffic.VIP4, 0).String()
	h.adm("-A", "-t", svc, "-s", "rr", "-p", "2")
	for i := range 3 {
		h.adm("-a", "-t", svc, "-r", labtraffic.RSAddr4(i).String(), "-g")
	}
	first := h.hello(labtraffic.TCPPort)
	for i := range 8 {
		port := uint16(labtraffic.TCPPort)
		if i%2 == 0 {
			port = altPort
		}
		if got := h.hello(port); got != first {
			t.Fatalf("connection %d (port %d) answered by %s, want %s like the first", i, port, got, first)
		}
	}
	if n := h.persistConns(); n != 1 {
		t.Errorf("PersistConn total %d, want 1 template", n)
	}
	if out := h.adm("-L", "-n"); !strings.Contains(out, "TCP  198.18.0.100:0 rr persistent 2\n") {
		t.Errorf("listing lacks the persistent service line:\n%s", out)
	}
	// The connections end in CLOSE (10 s); the template outlives them.
	waitFor(t, 30*time.Second, func() (bool, string) {
		n := h.persistConns()
		return n == 0, fmt.Sprintf("%d templates left", n)
	})
	if got := h.hello(labtraffic.TCPPort); got == first {
		t.Errorf("after the template expired the client went to %s again, want the next rr server", got)
	}
	checkFrameAccounting(t, d.stop(), 2)
}

// TestQuiescedServerTemplateStopsAttracting: setting the weight of a
// persistent client's real server to 0 sends its next connection
// elsewhere (expire_quiescent_template), and it sticks there.
func TestQuiescedServerTemplateStopsAttracting(t *testing.T) {
	h := newHarness(t, "e2equi", labtraffic.DROptions{RealServers: 3})
	d := h.startDirector()
	svc := vip4tcp.String()
	h.adm("-A", "-t", svc, "-s", "rr", "-p", "600")
	for i := range 3 {
		h.adm("-a", "-t", svc, "-r", rip(labtraffic.VIP4, i, 80).String(), "-g")
	}
	first := h.hello(labtraffic.TCPPort)
	x, _ := strconv.Atoi(strings.TrimPrefix(first, "rs"))
	h.adm("-e", "-t", svc, "-r", rip(labtraffic.VIP4, x-1, 80).String(), "-g", "-w", "0")
	second := h.hello(labtraffic.TCPPort)
	if second == first {
		t.Fatalf("after quiescing %s the client still went there", first)
	}
	for range 3 {
		if got := h.hello(labtraffic.TCPPort); got != second {
			t.Errorf("the new template does not stick: %s, want %s", got, second)
		}
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// TestFWMarkServiceCoversTwoPorts: `xlvsd --mark 'tcp VIP/32 80,8080 1'`
// and `-A -f 1 -p`: HTTP on both ports is one persistent service; without
// -p rr balances connections to both ports as one stream.
func TestFWMarkServiceCoversTwoPorts(t *testing.T) {
	h := newHarness(t, "e2efwm", labtraffic.DROptions{RealServers: 3})
	h.serveAltPort()
	d := h.startDirector("--mark", fmt.Sprintf("tcp %s/32 %d,%d 1", labtraffic.VIP4, labtraffic.TCPPort, altPort))
	h.adm("-A", "-f", "1", "-s", "rr", "-p", "600")
	for i := range 3 {
		h.adm("-a", "-f", "1", "-r", labtraffic.RSAddr4(i).String(), "-g")
	}
	first := h.hello(altPort)
	for i := range 6 {
		port := uint16(labtraffic.TCPPort + (altPort-labtraffic.TCPPort)*(i%2))
		if got := h.hello(port); got != first {
			t.Fatalf("connection %d to port %d answered by %s, want %s", i, port, got, first)
		}
	}
	if out := h.adm("-L", "-n"); !strings.Contains(out, "FWM  1 rr persistent 600\n") {
		t.Errorf("listing lacks the fwmark service:\n%s", out)
	}
	h.adm("-E", "-f", "1", "-s", "rr")
	per := map[string]int{}
	for i := range 12 {
		per[h.hello(uint16(labtraffic.TCPPort+(altPort-labtraffic.TCPPort)*(i%2)))]++
	}
	for i := range 3 {
		if per[rsName3(i)] != 4 {
			t.Errorf("rr over both ports: %v, want 4 connections each", per)
			break
		}
	}
	c := h.counters()
	if c["xdp-steer-mark"] == 0 || c["drop-no-service"] != 0 {
		t.Errorf("xdp-steer-mark=%d drop-no-service=%d: want marked traffic steered and served", c["xdp-steer-mark"], c["drop-no-service"])
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// TestUpperThresholdSkipsOverloadedServer: rs1 with -x 1 holds one
// connection and is skipped by rr until it has none.
func TestUpperThresholdSkipsOverloadedServer(t *testing.T) {
	h := newHarness(t, "e2ethr", labtraffic.DROptions{RealServers: 3})
	d := h.startDirector()
	svc := vip4tcp.String()
	h.adm("-A", "-t", svc, "-s", "rr")
	h.adm("-a", "-t", svc, "-r", rip(labtraffic.VIP4, 0, 80).String(), "-g", "-x", "1")
	for i := 1; i < 3; i++ {
		h.adm("-a", "-t", svc, "-r", rip(labtraffic.VIP4, i, 80).String(), "-g")
	}
	var held *longConn
	for range 3 {
		l := dialLong(t, h.dr.Client, svc)
		if l.server == "rs1" {
			held = l
		}
	}
	if held == nil {
		t.Fatal("rr did not give rs1 one of the first three connections")
	}
	held.roundTrip(t, 1024)
	rep := h.traffic(labtraffic.Plan{TCP: []string{svc}, Conns: 12, Bytes: 512, Parallel: 1})
	if n := rep.Targets[0].PerServer["rs1"]; n != 0 {
		t.Errorf("rs1 over its upper threshold took %d new connections: %v", n, rep.Targets[0].PerServer)
	}
	if out := h.adm("-L", "-n", "--thresholds"); !strings.Contains(out, "  -> 198.18.0.11:80               1          0          1          0") {
		t.Errorf("--thresholds listing:\n%s", out)
	}
	held.roundTrip(t, 1024) // the held connection is not disturbed
	checkFrameAccounting(t, d.stop(), 1)
}
