package netlab

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestRoutedPath builds a - r - b with two subnets, forwarding on in r and
// routes (one default, one explicit) in a and b, and checks TCP and UDP over
// IPv4 and IPv6 across the router.
func TestRoutedPath(t *testing.T) {
	lab := NewT(t, "route")
	a, r, b := mustNS(t, lab, "a"), mustNS(t, lab, "r"), mustNS(t, lab, "b")
	if err := lab.Veth(a, "eth0", r, "ra", LinkOptions{TxChecksumOff: true}); err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(b, "eth0", r, "rb", LinkOptions{TxChecksumOff: true}); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return a.AddAddr("eth0", "198.18.1.2/24") },
		func() error { return a.AddAddr("eth0", "fd00:1::2/64") },
		func() error { return r.AddAddr("ra", "198.18.1.1/24") },
		func() error { return r.AddAddr("ra", "fd00:1::1/64") },
		func() error { return r.AddAddr("rb", "198.18.2.1/24") },
		func() error { return r.AddAddr("rb", "fd00:2::1/64") },
		func() error { return b.AddAddr("eth0", "198.18.2.2/24") },
		func() error { return b.AddAddr("eth0", "fd00:2::2/64") },
		func() error { return r.SetSysctl("net/ipv4/ip_forward", "1") },
		func() error { return r.SetSysctl("net/ipv6/conf/all/forwarding", "1") },
		func() error { return a.AddRoute("default", "198.18.1.1") },
		func() error { return a.AddRoute("default", "fd00:1::1") },
		func() error { return b.AddRoute("198.18.1.0/24", "198.18.2.1") },
		func() error { return b.AddRoute("fd00:1::/64", "fd00:2::1") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	for _, addr := range []string{"198.18.2.2:80", "[fd00:2::2]:80"} {
		ln, err := b.ListenTCP(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		echoOnce(t, ln)
		roundTrip(t, a, addr, 64_000)

		u, err := b.ListenUDP(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		go func() {
			buf := make([]byte, 2048)
			n, from, err := u.ReadFromUDP(buf)
			if err == nil {
				_, _ = u.WriteToUDP(buf[:n], from)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := a.DialUDP(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		msg := []byte("hello over udp")
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("udp echo from %s: %q, %v", addr, buf[:n], err)
		}
	}
}

func TestAddRouteDevNeighMACIndex(t *testing.T) {
	lab := NewT(t, "neigh")
	a, b := pair(t, lab, LinkOptions{
		AMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa},
		BMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0xb},
	})
	macA, err := a.MAC("eth0")
	if err != nil || macA.String() != "02:00:00:00:00:0a" {
		t.Fatalf("MAC(a) = %v, %v", macA, err)
	}
	macB, err := b.MAC("eth0")
	if err != nil || macB.String() != "02:00:00:00:00:0b" {
		t.Fatalf("MAC(b) = %v, %v", macB, err)
	}
	idx, err := a.LinkIndex("eth0")
	if err != nil || idx <= 1 {
		t.Fatalf("LinkIndex = %d, %v", idx, err)
	}
	if _, err := a.LinkIndex("nosuch0"); err == nil {
		t.Error("LinkIndex of a missing interface succeeded")
	}
	// b is reachable as 198.18.9.2 only through an on-link route and a
	// static neighbour entry (b also owns that address).
	if err := b.AddAddr("eth0", "198.18.9.2/32"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddRouteDev("198.18.9.0/24", "eth0"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddNeigh("eth0", "198.18.9.2", macB); err != nil {
		t.Fatal(err)
	}
	if err := a.AddNeigh("eth0", "fd00:18::2", macB); err != nil {
		t.Fatal(err)
	}
	neighs, err := a.Netlink.NeighList(idx, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, n := range neighs {
		if n.State == netlink.NUD_PERMANENT && n.HardwareAddr.String() == macB.String() {
			found++
		}
	}
	if found != 2 {
		t.Errorf("permanent neighbours for %s: %d, want 2 (%v)", macB, found, neighs)
	}
	ln, err := b.ListenTCP("198.18.9.2:22")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	echoOnce(t, ln)
	roundTrip(t, a, "198.18.9.2:22", 10_000)
}

func TestHostEndOfVethIsRemoved(t *testing.T) {
	lab := NewT(t, "host")
	a := mustNS(t, lab, "a")
	host := "nl" + lab.ID[len(lab.ID)-8:] // 10 chars, unique to this lab
	if err := lab.Veth(nil, host, a, "eth0", LinkOptions{TxChecksumOff: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(host); err != nil {
		t.Fatalf("host end %s: %v", host, err)
	}
	var hostNS *NS
	if on, err := hostNS.TxChecksum(host); err != nil || on {
		t.Errorf("host end tx checksum on=%v err=%v, want off", on, err)
	}
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(host); err == nil {
		t.Errorf("host end %s still exists after Close", host)
	}
}

func TestAttachXDPPass(t *testing.T) {
	lab := NewT(t, "xdp")
	a, b := pair(t, lab, LinkOptions{})
	if err := b.AttachXDPPass("eth0"); err != nil {
		t.Fatal(err)
	}
	link, err := b.Link("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if x := link.Attrs().Xdp; x == nil || !x.Attached {
		t.Fatalf("no XDP program on %s eth0 after AttachXDPPass: %+v", b.Name, x)
	}
	ln, err := b.ListenTCP("198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	echoOnce(t, ln)
	roundTrip(t, a, "198.18.0.2:80", 30_000) // XDP_PASS lets traffic through
	if err := lab.Close(); err != nil {
		t.Fatalf("Close with an XDP link: %v", err)
	}
}

// TestIPv6AddressUsableOnReturn checks that AddAddr returns only once an
// IPv6 address has its local route (the kernel installs it from a
// workqueue), so traffic to it right away is not answered "no route".
func TestIPv6AddressUsableOnReturn(t *testing.T) {
	lab := NewT(t, "v6ready")
	a, _ := pair(t, lab, LinkOptions{})
	for i := range 20 {
		ip := net.ParseIP("fd00:99::1")
		ip[15] = byte(i + 1)
		if err := a.AddAddr("eth0", ip.String()+"/128"); err != nil {
			t.Fatal(err)
		}
		routes, err := a.Netlink.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Table: 255}, netlink.RT_FILTER_TABLE)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range routes {
			found = found || (r.Dst != nil && r.Dst.IP.Equal(ip))
		}
		if !found {
			t.Fatalf("no local route for %s right after AddAddr", ip)
		}
	}
}
