package netlab

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestVIPIsNeverTheSource: a VIP added with AddVIP is the director's own
// address (it accepts traffic) but never the source the kernel picks for
// the director's own traffic, even when it shares the longest prefix with
// the destination (RFC 6724 rule 8 would pick it)
// and is added last; an address added with AddAddr there would be.
func TestVIPIsNeverTheSource(t *testing.T) {
	lab := NewT(t, "vip")
	a, b := mustNS(t, lab, "a"), mustNS(t, lab, "b")
	if err := lab.Veth(a, "eth0", b, "eth0", LinkOptions{TxChecksumOff: true}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return a.AddAddr("eth0", "198.18.0.1/24") },
		func() error { return a.AddAddr("eth0", "fd00:18::1/64") },
		func() error { return a.AddVIP("eth0", "198.18.0.100/32") },
		func() error { return a.AddVIP("eth0", "fd00:18::100/128") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	for dst, want := range map[string]string{"198.18.0.101": "198.18.0.1", "fd00:18::101": "fd00:18::1"} {
		var routes []netlink.Route
		err := a.Do(func() (err error) {
			routes, err = netlink.RouteGet(net.ParseIP(dst))
			return err
		})
		if err != nil || len(routes) == 0 {
			t.Fatalf("route to %s: %v", dst, err)
		}
		if got := routes[0].Src.String(); got != want {
			t.Errorf("source towards %s is %s, want %s (never the VIP)", dst, got, want)
		}
	}
	var addrs []netlink.Addr
	err := a.Do(func() (err error) {
		l, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		addrs, err = netlink.AddrList(l, netlink.FAMILY_V6)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ad := range addrs {
		if ad.IP.String() == "fd00:18::100" {
			found = true
			if ad.PreferedLft != 0 {
				t.Errorf("VIP fd00:18::100 preferred lifetime %d, want 0 (deprecated)", ad.PreferedLft)
			}
		}
	}
	if !found {
		t.Errorf("VIP fd00:18::100 not on eth0: %v", addrs)
	}
}
