package main

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// TestRealServerWithKnownNeighbourForwardsAtOnce adds real servers whose
// MAC addresses the director's kernel already knows (as on any director
// whose health checks talk to its real servers). xlvsd must forward to
// them as soon as `xlvsadm -a` returns: no frame may be dropped for want
// of a next hop.
func TestRealServerWithKnownNeighbourForwardsAtOnce(t *testing.T) {
	h := newHarness(t, "e2enh", labtraffic.DROptions{})
	// A TCP health check from the director to each real server puts their
	// addresses in the director's neighbour cache. (IPv4 only: from the
	// director, IPv6 source address selection may pick the VIP, which the
	// real servers hold too.)
	for i := range h.dr.RS {
		a := netip.AddrPortFrom(labtraffic.RSAddr4(i), labtraffic.TCPPort).String()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, _, err := labtraffic.TCPRound(ctx, h.dr.Director, a, []byte("ping"), 10*time.Second)
		cancel()
		if err != nil {
			t.Fatalf("health check of %s from the director: %v", a, err)
		}
	}
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, Conns: 4, Bytes: 4 << 10, Timeout: 30 * time.Second})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 2, "rs2": 2})
	if n := h.counters()["drop-no-next-hop"]; n != 0 {
		t.Errorf("drop-no-next-hop = %d: xlvsd dropped frames to real servers whose neighbour entries were already resolved", n)
	}
	checkFrameAccounting(t, d.stop(), 1)
}
