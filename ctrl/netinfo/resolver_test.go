package netinfo

import (
	"bytes"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestResolvesOnLinkPeerWithoutTraffic checks that watching an on-link
// address makes the kernel resolve it (the test sends nothing) and that the
// resolver then reports the peer's real MAC and the director's interface.
func TestResolvesOnLinkPeerWithoutTraffic(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	r := tp.newResolver(t, DefaultOptions())
	// Nothing has resolved the peer yet: whatever does is the resolver.
	for _, a := range []netip.Addr{peerV4, peerV6} {
		if n := tp.dirNeighs(t, a); len(n) != 0 {
			t.Fatalf("director has a neighbour entry for %s before Watch: %v", a, n)
		}
	}
	r.Watch([]netip.Addr{peerV4, peerV6})
	peerMAC := tp.peerMAC(t)
	for _, tc := range []struct{ dst, src netip.Addr }{{peerV4, dirV4}, {peerV6, dirV6}} {
		eventually(t, "resolve "+tc.dst.String(), resolvedTo(r, tc.dst, peerMAC))
		nh, _ := r.Lookup(tc.dst)
		want := NextHop{IfIndex: tp.dirIndex, SrcMAC: tp.dirMAC, DstMAC: peerMAC,
			Src: tc.src, MTU: 1500, Resolved: true, Up: true}
		if nh != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tc.dst, nh, want)
		}
	}
	waitSignal(t, r, "resolution")
	for _, a := range []netip.Addr{peerV4, peerV6} {
		if n := tp.dirNeighs(t, a); len(n) != 1 || !bytes.Equal(n[0].HardwareAddr, peerMAC[:]) {
			t.Errorf("director's neighbour entries for %s = %v; want one with %s", a, n, macString(peerMAC))
		}
	}
	if _, ok := r.Lookup(netip.MustParseAddr("198.18.1.3")); ok {
		t.Error("Lookup of an address that is not watched reported a next hop")
	}
	// IPv4-mapped IPv6 is the same destination as IPv4.
	if _, ok := r.Lookup(netip.AddrFrom16(peerV4.As16())); !ok {
		t.Error("Lookup of the IPv4-mapped form of a watched IPv4 address failed")
	}
	// Watch replaces the set.
	r.Watch([]netip.Addr{peerV6})
	if _, ok := r.Lookup(peerV4); ok {
		t.Error("Lookup of an address dropped from the watched set still reports a next hop")
	}
	if err := resolvedTo(r, peerV6, peerMAC)(); err != nil {
		t.Errorf("address kept in the watched set: %v", err)
	}
}

// TestFollowsPeerMACChange replaces the peer's MAC twice: once announced by
// the peer's kernel (gratuitous ARP, unsolicited NA), once silently with
// the director's neighbour entries flushed; both must reach the resolver.
func TestFollowsPeerMACChange(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	r := tp.newResolver(t, DefaultOptions())
	watched := []netip.Addr{peerV4, peerV6}
	r.Watch(watched)
	for _, a := range watched {
		eventually(t, "initial resolution of "+a.String(), resolvedTo(r, a, tp.peerMAC(t)))
	}

	t.Run("announced", func(t *testing.T) {
		mustDo(t, tp.peer.SetSysctl("net/ipv4/conf/eth0/arp_notify", "1"))
		mustDo(t, tp.peer.SetSysctl("net/ipv6/conf/eth0/ndisc_notify", "1"))
		drain(r)
		mac := [6]byte{0x02, 0x00, 0x5e, 0x12, 0x34, 0x01}
		tp.setPeerMAC(t, mac)
		for _, a := range watched {
			eventually(t, "announced MAC of "+a.String(), resolvedTo(r, a, mac))
		}
		waitSignal(t, r, "the peer announced its new MAC")
	})

	t.Run("flushed", func(t *testing.T) {
		mustDo(t, tp.peer.SetSysctl("net/ipv4/conf/eth0/arp_notify", "0"))
		mustDo(t, tp.peer.SetSysctl("net/ipv6/conf/eth0/ndisc_notify", "0"))
		mac := [6]byte{0x02, 0x00, 0x5e, 0x12, 0x34, 0x02}
		tp.setPeerMAC(t, mac)
		drain(r)
		for _, a := range watched {
			tp.flushDirNeigh(t, a)
		}
		for _, a := range watched {
			eventually(t, "re-resolved MAC of "+a.String(), resolvedTo(r, a, mac))
		}
		waitSignal(t, r, "re-resolution after a flush")
	})
}

// TestRefreshDetectsSilentlyReplacedPeer replaces the peer's MAC without
// any announcement and without touching the director: only the periodic
// confirmation of STALE entries can notice it.
func TestRefreshDetectsSilentlyReplacedPeer(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	// Short neighbour timers so that REACHABLE turns STALE (not DELAY: no
	// first-probe delay) and a failed unicast probe is declared FAILED
	// within a few seconds. Left alone, a STALE entry stays STALE.
	for _, fam := range []string{"ipv4", "ipv6"} {
		p := "net/" + fam + "/neigh/eth0/"
		mustDo(t, tp.dir.SetSysctl(p+"base_reachable_time_ms", "500"))
		mustDo(t, tp.dir.SetSysctl(p+"delay_first_probe_time", "0"))
		mustDo(t, tp.dir.SetSysctl(p+"retrans_time_ms", "200"))
		mustDo(t, tp.dir.SetSysctl(p+"ucast_solicit", "1"))
	}
	opts := DefaultOptions()
	opts.ResolveInterval = 200e6 // 200ms
	opts.RefreshInterval = 500e6
	r := tp.newResolver(t, opts)
	watched := []netip.Addr{peerV4, peerV6}
	r.Watch(watched)
	for _, a := range watched {
		eventually(t, "initial resolution of "+a.String(), resolvedTo(r, a, tp.peerMAC(t)))
	}
	mac := [6]byte{0x02, 0x00, 0x5e, 0x12, 0x34, 0x03}
	tp.setPeerMAC(t, mac)
	for _, a := range watched {
		eventually(t, "refreshed MAC of "+a.String(), resolvedTo(r, a, mac))
	}
}

// TestGatewayRoute checks destinations behind a gateway: the next hop is
// the gateway's MAC and Gateway is set.
func TestGatewayRoute(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	mustDo(t, tp.dir.AddRoute("198.18.100.0/24", peerV4.String()))
	mustDo(t, tp.dir.AddRoute("fd00:100::/64", peerV6.String()))
	// IPv6 routes usually point at the router's link-local address.
	peerLL := tp.peerLinkLocal(t)
	_, viaLL, _ := net.ParseCIDR("fd00:200::/64")
	mustDo(t, tp.dir.Netlink.RouteAdd(&netlink.Route{Dst: viaLL, Gw: peerLL.AsSlice(), LinkIndex: tp.dirIndex}))
	r := tp.newResolver(t, DefaultOptions())
	dsts := []struct{ dst, gw, src netip.Addr }{
		{netip.MustParseAddr("198.18.100.7"), peerV4, dirV4},
		{netip.MustParseAddr("fd00:100::7"), peerV6, dirV6},
		{netip.MustParseAddr("fd00:200::7"), peerLL, dirV6},
	}
	r.Watch([]netip.Addr{dsts[0].dst, dsts[1].dst, dsts[2].dst})
	peerMAC := tp.peerMAC(t)
	for _, d := range dsts {
		eventually(t, "resolve "+d.dst.String(), resolvedTo(r, d.dst, peerMAC))
		nh, _ := r.Lookup(d.dst)
		want := NextHop{IfIndex: tp.dirIndex, SrcMAC: tp.dirMAC, DstMAC: peerMAC,
			Gateway: d.gw, Src: d.src, MTU: 1500, Resolved: true, Up: true}
		if nh != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", d.dst, nh, want)
		}
		if n := tp.dirNeighs(t, d.dst); len(n) != 0 {
			t.Errorf("resolver created a neighbour entry for the destination %s itself: %v", d.dst, n)
		}
	}
}

// TestNoRoute checks that unroutable, blackholed and local destinations
// have no next hop, and that adding and removing a route is followed.
func TestNoRoute(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	mustDo(t, tp.dir.Netlink.RouteAdd(blackhole(t, "198.18.50.0/24")))
	mustDo(t, tp.dir.Netlink.RouteAdd(blackhole(t, "fd00:50::/64")))
	r := tp.newResolver(t, DefaultOptions())
	far4 := netip.MustParseAddr("198.19.250.1")
	far6 := netip.MustParseAddr("2001:db8:ffff::1")
	none := []netip.Addr{far4, far6, netip.MustParseAddr("198.18.50.1"),
		netip.MustParseAddr("fd00:50::1"), dirV4, dirV6}
	r.Watch(none)
	for _, a := range none {
		// eventually: the kernel installs the local route of an address
		// added a moment ago asynchronously.
		eventually(t, "no next hop for "+a.String(), noRoute(r, a))
	}

	drain(r)
	mustDo(t, tp.dir.AddRoute("198.19.250.0/24", peerV4.String()))
	mustDo(t, tp.dir.AddRoute("2001:db8:ffff::/48", peerV6.String()))
	waitSignal(t, r, "adding routes")
	for _, tc := range []struct{ dst, gw netip.Addr }{{far4, peerV4}, {far6, peerV6}} {
		eventually(t, "resolve "+tc.dst.String()+" after adding its route", resolvedTo(r, tc.dst, tp.peerMAC(t)))
		if nh, _ := r.Lookup(tc.dst); nh.Gateway != tc.gw {
			t.Errorf("Lookup(%s).Gateway = %v, want %v", tc.dst, nh.Gateway, tc.gw)
		}
	}

	drain(r)
	for _, dst := range []string{"198.19.250.0/24", "2001:db8:ffff::/48"} {
		_, prefix, _ := net.ParseCIDR(dst)
		routes, err := tp.dir.Netlink.RouteListFiltered(0, &netlink.Route{Dst: prefix}, netlink.RT_FILTER_DST)
		mustDo(t, err)
		for i := range routes {
			mustDo(t, tp.dir.Netlink.RouteDel(&routes[i]))
		}
	}
	waitSignal(t, r, "deleting routes")
	for _, a := range []netip.Addr{far4, far6} {
		eventually(t, "route to "+a.String()+" gone", noRoute(r, a))
	}
}

// blackhole returns a blackhole route to cidr.
func blackhole(t *testing.T, cidr string) *netlink.Route {
	t.Helper()
	_, prefix, err := net.ParseCIDR(cidr)
	mustDo(t, err)
	return &netlink.Route{Dst: prefix, Type: syscall.RTN_BLACKHOLE}
}
