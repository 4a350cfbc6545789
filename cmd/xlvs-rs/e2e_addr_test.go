package main

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xlvs/xlvs/internal/netlab"
)

// TestIPv6VIPUsableWhenUpReturns: the moment `up` returns, a server can
// bind the IPv6 VIP — the address is not tentative, being added without
// duplicate address detection (a VIP is on every real server: DAD is
// meaningless for it) — and packets to it are delivered, its local route
// being in place. Before, a bind right after up failed with
// EADDRNOTAVAIL for a moment. Repeated, as the race was short.
func TestIPv6VIPUsableWhenUpReturns(t *testing.T) {
	netlab.RequireRoot(t)
	tp := newTopo(t)
	h := tp.rs.Netlink
	lo, err := tp.rs.Link("lo")
	must(t, err)
	for round := 0; round < 5; round++ {
		tp.mustRS("up", "--vip", vip4, "--vip", vip6, "--mode", "dr", "--dev", "eth0")
		for _, a := range []string{"[" + vip6 + "]:80", vip4 + ":80"} {
			ln, err := tp.rs.ListenTCP(a)
			if err != nil {
				t.Fatalf("round %d: bind %s right after up: %v", round, a, err)
			}
			ln.Close()
		}
		addrs, err := h.AddrList(lo, netlink.FAMILY_V6)
		must(t, err)
		found := false
		for _, a := range addrs {
			if a.IP.Equal(net.ParseIP(vip6)) {
				found = true
				if a.Flags&unix.IFA_F_TENTATIVE != 0 || a.Flags&unix.IFA_F_NODAD == 0 {
					t.Errorf("round %d: %s on lo has flags %#x, want nodad and not tentative", round, vip6, a.Flags)
				}
			}
		}
		if !found {
			t.Fatalf("round %d: %s not on lo after up", round, vip6)
		}
		routes, err := h.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Table: unix.RT_TABLE_LOCAL}, netlink.RT_FILTER_TABLE)
		must(t, err)
		local := false
		for _, r := range routes {
			if r.Dst != nil && r.Dst.IP.Equal(net.ParseIP(vip6)) {
				local = true
			}
		}
		if !local {
			t.Errorf("round %d: no local route for %s when up returned: packets to it would not be delivered", round, vip6)
		}
		tp.mustRS("down")
	}
}
