package main

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// TestTwoQueuesHandOffFlows runs xlvsd with two workers on a director eth0
// of two queues. The lan bridge spreads the client's flows over both RX
// queues by flow hash, while a flow's owner is a hash of the client's
// address and port, so about half the frames arrive at the worker that
// does not own them and cross the handoff ring. Every connection must
// still be echoed byte for byte, each flow must be tracked once (by its
// owner), every handed-off frame must arrive, and no UMEM frame may be
// lost.
func TestTwoQueuesHandOffFlows(t *testing.T) {
	h := newHarness(t, "e2eq2", labtraffic.DROptions{Queues: 2})
	d := h.startDirector("--queues", "2")
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	h.addService("-u", labtraffic.VIP4, labtraffic.UDPPort, "rr", 1, 1)
	h.addService("-t", labtraffic.VIP6, labtraffic.TCPPort, "rr", 1, 1)
	h.addService("-u", labtraffic.VIP6, labtraffic.UDPPort, "rr", 1, 1)

	const conns, datagrams = 32, 32
	plan := labtraffic.VIPPlan()
	plan.UDP = nil // below, from distinct source ports
	plan.Conns, plan.Bytes, plan.Parallel = conns, 48<<10, 8
	before := h.tcpConns()
	rep := h.traffic(plan)
	for _, tg := range rep.Targets {
		if tg.OK != conns {
			t.Errorf("%s %s: %d round-trips checked out, want %d", tg.Proto, tg.Addr, tg.OK, conns)
		}
	}
	after := h.tcpConns()
	for i, vip := range []netip.AddrPort{vip4udp, vip6udp} {
		h.udpFlows(vip, datagrams, uint16(40000+100*i))
	}
	if got := after["rs1"] + after["rs2"] - before["rs1"] - before["rs2"]; got != 2*conns {
		t.Errorf("real servers accepted %d connections, want %d", got, 2*conns)
	}

	h.quiesce()
	c := h.counters()
	t.Logf("handoff-out=%d handoff-in=%d rx-packets=%d tx-packets=%d conns-created=%d",
		c["handoff-out"], c["handoff-in"], c["rx-packets"], c["tx-packets"], c["conns-created"])
	if c["handoff-out"] == 0 || c["handoff-in"] == 0 {
		t.Errorf("handoff-out=%d handoff-in=%d: want both > 0 (are both RX queues used?)", c["handoff-out"], c["handoff-in"])
	}
	if c["handoff-in"] != c["handoff-out"] {
		t.Errorf("handoff-in=%d != handoff-out=%d: handed-off frames went missing", c["handoff-in"], c["handoff-out"])
	}
	if want := uint64(2*conns + 2*datagrams); c["conns-created"] != want {
		t.Errorf("conns-created=%d, want %d: one connection per flow, created by its owner only", c["conns-created"], want)
	}
	for _, k := range []string{"drop-handoff-ring-full", "drop-tcp-not-syn", "drop-no-connection", "drop-tx-ring-full"} {
		if c[k] != 0 {
			t.Errorf("%s=%d, want 0", k, c[k])
		}
	}
	checkFrameAccounting(t, d.stop(), 2)
}
