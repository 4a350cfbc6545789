package main

// End-to-end tests of the real director: each test builds the binaries
// (once per process), a one-armed DR lab of network namespaces (client,
// director, rs1, rs2 on bridge lan), runs xlvsd in the director namespace,
// configures it with the real xlvsadm as a user would, sends real traffic
// from the client and checks what a user would check. They need root and
// skip otherwise.

import (
	"context"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/internal/labtraffic"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removeBinaries()
	os.Exit(code)
}

// rip returns real server i's address (0-based) of the family of vip.
func rip(vip netip.Addr, i int, port uint16) netip.AddrPort {
	if vip.Is6() {
		return netip.AddrPortFrom(labtraffic.RSAddr6(i), port)
	}
	return netip.AddrPortFrom(labtraffic.RSAddr4(i), port)
}

// addService runs `xlvsadm -A <flag> vip:port -s sched` and
// `xlvsadm -a ... -r rsN -g -w weights[N]` for each weight.
func (h *harness) addService(flag string, vip netip.Addr, port uint16, sched string, weights ...int) {
	h.t.Helper()
	svc := netip.AddrPortFrom(vip, port).String()
	h.adm("-A", flag, svc, "-s", sched)
	for i, w := range weights {
		h.adm("-a", flag, svc, "-r", rip(vip, i, port).String(), "-g", "-w", strconv.Itoa(w))
	}
}

// tabSize asks the daemon for the connection table size ipvsadm shows.
func (h *harness) tabSize() int {
	h.t.Helper()
	c, err := client.Dial(h.socket)
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
	if err != nil || resp.Err != nil || resp.Info == nil {
		h.t.Fatalf("get info: %v %v", err, resp)
	}
	return int(resp.Info.ConnTabSize)
}

var (
	vip4tcp = netip.AddrPortFrom(labtraffic.VIP4, labtraffic.TCPPort)
	vip6tcp = netip.AddrPortFrom(labtraffic.VIP6, labtraffic.TCPPort)
	vip4udp = netip.AddrPortFrom(labtraffic.VIP4, labtraffic.UDPPort)
	vip6udp = netip.AddrPortFrom(labtraffic.VIP6, labtraffic.UDPPort)
)

// checkSplit checks the servers that answered a target.
func checkSplit(t *testing.T, tg labtraffic.Target, want map[string]int) {
	t.Helper()
	for name, n := range want {
		if tg.PerServer[name] != n {
			t.Errorf("%s %s: answered by %v, want %v", tg.Proto, tg.Addr, tg.PerServer, want)
			return
		}
	}
}

// checkAccepted checks how many TCP connections each real server accepted
// between two tcpConns readings.
func checkAccepted(t *testing.T, before, after map[string]int64, want map[string]int64) {
	t.Helper()
	for name, n := range want {
		if got := after[name] - before[name]; got != n {
			t.Errorf("real server %s accepted %d connections, want %d (all: before %v, after %v)", name, got, n, before, after)
		}
	}
}

// TestDRTCPAndUDPBothFamilies forwards 40 TCP connections of 48 KiB each
// way per family and UDP datagrams through xlvsd in DR mode with rr over two
// real servers, checks that each real server got exactly half, and that
// `xlvsadm -L -n` prints exactly what ipvsadm would.
func TestDRTCPAndUDPBothFamilies(t *testing.T) {
	h := newHarness(t, "e2edr", labtraffic.DROptions{})
	d := h.startDirector("--conn-max", "4096")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		h.addService("-t", vip, labtraffic.TCPPort, "rr", 1, 1)
		h.addService("-u", vip, labtraffic.UDPPort, "rr", 1, 1)
	}

	const conns, size = 40, 48 << 10
	for _, vip := range []netip.AddrPort{vip4tcp, vip6tcp} {
		before := h.tcpConns()
		rep := h.traffic(labtraffic.Plan{TCP: []string{vip.String()}, Conns: conns, Bytes: size, Parallel: 8})
		tg := rep.Targets[0]
		if tg.OK != conns || tg.Bytes != conns*size {
			t.Errorf("%s: %d connections, %d bytes echoed; want %d, %d", vip, tg.OK, tg.Bytes, conns, conns*size)
		}
		checkSplit(t, tg, map[string]int{"rs1": conns / 2, "rs2": conns / 2})
		checkAccepted(t, before, h.tcpConns(), map[string]int64{"rs1": conns / 2, "rs2": conns / 2})
	}

	const datagrams = 20
	for i, vip := range []netip.AddrPort{vip4udp, vip6udp} {
		per := h.udpFlows(vip, datagrams, uint16(40000+100*i))
		if per["rs1"] != datagrams/2 || per["rs2"] != datagrams/2 {
			t.Errorf("udp %s: %d flows answered by %v, want half each", vip, datagrams, per)
		}
	}

	// Closed TCP connections are in FIN_WAIT (DR sees the client side
	// only): inactive. UDP connections are always inactive.
	dests := func(vip netip.AddrPort, inactive int) []destListing {
		return []destListing{
			{rip(vip.Addr(), 0, vip.Port()), "Route", 1, 0, inactive},
			{rip(vip.Addr(), 1, vip.Port()), "Route", 1, 0, inactive},
		}
	}
	h.checkListing(listing(4096,
		svcListing{"TCP", vip4tcp, "rr", dests(vip4tcp, conns/2)},
		svcListing{"UDP", vip4udp, "rr", dests(vip4udp, datagrams/2)},
		svcListing{"TCP", vip6tcp, "rr", dests(vip6tcp, conns/2)},
		svcListing{"UDP", vip6udp, "rr", dests(vip6udp, datagrams/2)},
	))

	c := h.counters()
	if want := uint64(2*conns + 2*datagrams); c["conns-created"] != want {
		t.Errorf("conns-created = %d, want %d (one per TCP connection and UDP flow)", c["conns-created"], want)
	}
	for name, v := range c {
		if strings.HasPrefix(name, "drop-") && v != 0 {
			t.Errorf("counter %s = %d after clean traffic, want 0", name, v)
		}
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// TestWRRRatio checks IPVS's wrr over 40 connections with weights 1 and 3:
// exactly 10 and 30.
func TestWRRRatio(t *testing.T) {
	h := newHarness(t, "e2ewrr", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "wrr", 1, 3)

	before := h.tcpConns()
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 40, Bytes: 16 << 10, Parallel: 8})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 10, "rs2": 30})
	checkAccepted(t, before, h.tcpConns(), map[string]int64{"rs1": 10, "rs2": 30})
	h.checkListing(listing(h.tabSize(), svcListing{"TCP", vip4tcp, "wrr", []destListing{
		{rip(labtraffic.VIP4, 0, 80), "Route", 1, 0, 10},
		{rip(labtraffic.VIP4, 1, 80), "Route", 3, 0, 30},
	}}))
	checkFrameAccounting(t, d.stop(), 1)
}

// TestRRAlternatesAcrossIdleGaps checks that rr keeps its place in the list
// while no connection arrives: IPVS moves an rr service's position only
// when it schedules or when that service's real servers change, so
// connections a few seconds apart still alternate. (xlvsd republishes its
// configuration every 5 s to reclaim deleted real servers; that must not
// restart the schedulers.)
func TestRRAlternatesAcrossIdleGaps(t *testing.T) {
	h := newHarness(t, "e2eidle", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	round := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		name, _, err := labtraffic.TCPRound(ctx, h.dr.Client, vip4tcp.String(), []byte("hello"), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	var got []string
	for i := range 3 {
		if i > 0 {
			time.Sleep(6 * time.Second) // idle: longer than xlvsd's periodic refresh
		}
		got = append(got, round())
	}
	if got[0] == got[1] || got[1] == got[2] {
		t.Errorf("rr with connections 6 s apart went to %v, want alternating real servers", got)
	}
	checkFrameAccounting(t, d.stop(), 1)
}
