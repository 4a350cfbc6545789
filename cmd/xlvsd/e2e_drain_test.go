package main

import (
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// serverIndex returns the 0-based index of real server name ("rs1" → 0).
func serverIndex(t *testing.T, name string) int {
	t.Helper()
	if len(name) != 3 || name[:2] != "rs" || name[2] < '1' || name[2] > '2' {
		t.Fatalf("unexpected real server name %q", name)
	}
	return int(name[2] - '1')
}

// rsName returns the name of real server i.
func rsName(i int) string { return "rs" + string(rune('1'+i)) }

// TestWeightZeroDrainsWithoutReset quiesces the real server of an
// established connection with `-e ... -w 0`: the connection keeps working
// for several round-trips while every new connection goes to the other
// real server, as with IPVS.
func TestWeightZeroDrainsWithoutReset(t *testing.T) {
	h := newHarness(t, "e2edrain", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "wlc", 1, 1)

	old := dialLong(t, h.dr.Client, vip4tcp.String())
	old.roundTrip(t, 8<<10)
	x := serverIndex(t, old.server)
	other := 1 - x
	h.adm("-e", "-t", vip4tcp.String(), "-r", rip(labtraffic.VIP4, x, 80).String(), "-g", "-w", "0")

	weights, active := [2]int{1, 1}, [2]int{}
	weights[x], active[x] = 0, 1
	h.checkListing(listing(h.tabSize(), svcListing{"TCP", vip4tcp, "wlc", []destListing{
		{rip(labtraffic.VIP4, 0, 80), "Route", weights[0], active[0], 0},
		{rip(labtraffic.VIP4, 1, 80), "Route", weights[1], active[1], 0},
	}}))

	for range 5 {
		old.roundTrip(t, 8<<10)
	}
	before := h.tcpConns()
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 10, Bytes: 4 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{rsName(other): 10})
	checkAccepted(t, before, h.tcpConns(), map[string]int64{rsName(x): 0, rsName(other): 10})
	for range 3 {
		old.roundTrip(t, 8<<10)
	}
	old.close(t)
	checkFrameAccounting(t, d.stop(), 1)
}

// TestDeletedRealServerStallsThenRevives deletes the real server of an
// established connection. New connections go to the remaining server; the
// old connection's packets are dropped silently (IPVS's default
// expire_nodest_conn=0), so it stalls without a reset; re-adding the same
// real server revives it and the stalled data gets through on TCP's next
// retransmission.
func TestDeletedRealServerStallsThenRevives(t *testing.T) {
	h := newHarness(t, "e2edel", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)

	old := dialLong(t, h.dr.Client, vip4tcp.String())
	old.roundTrip(t, 4<<10)
	x := serverIndex(t, old.server)
	other := 1 - x
	xAddr := rip(labtraffic.VIP4, x, 80).String()
	h.adm("-d", "-t", vip4tcp.String(), "-r", xAddr)
	h.checkListing(listing(h.tabSize(), svcListing{"TCP", vip4tcp, "rr", []destListing{
		{rip(labtraffic.VIP4, other, 80), "Route", 1, 0, 0},
	}}))

	before := h.tcpConns()
	const conns = 6
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: conns, Bytes: 4 << 10})
	checkSplit(t, rep.Targets[0], map[string]int{rsName(other): conns})
	checkAccepted(t, before, h.tcpConns(), map[string]int64{rsName(x): 0, rsName(other): conns})

	dropsBefore := h.counters()["drop-destination-unavailable"]
	stalled := old.send(t, 1000)
	old.expectSilence(t, 3*time.Second)
	waitFor(t, 10*time.Second, func() (bool, string) {
		n := h.counters()["drop-destination-unavailable"]
		return n > dropsBefore, "drop-destination-unavailable did not move while the connection stalled"
	})

	h.adm("-a", "-t", vip4tcp.String(), "-r", xAddr, "-g")
	// The revived connection counts on its real server again, as IPVS's
	// trash list gives back the same destination with its counters.
	active, inactive := [2]int{}, [2]int{}
	active[x], inactive[other] = 1, conns
	h.checkListing(listing(h.tabSize(), svcListing{"TCP", vip4tcp, "rr", []destListing{
		{rip(labtraffic.VIP4, 0, 80), "Route", 1, active[0], inactive[0]},
		{rip(labtraffic.VIP4, 1, 80), "Route", 1, active[1], inactive[1]},
	}}))
	old.expectEcho(t, stalled, 60*time.Second) // TCP's next retransmission
	old.roundTrip(t, 4<<10)
	old.close(t)
	checkFrameAccounting(t, d.stop(), 1)
}
