package labtraffic

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/xlvs/xlvs/internal/netlab"
)

func newDR(t *testing.T) (*DR, []*Server) {
	t.Helper()
	lab := netlab.NewT(t, "drt")
	dr, err := NewDR(lab, DROptions{})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := dr.ServeRealServers()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Close()
		}
	})
	return dr, servers
}

func TestDRTopologyDirectTraffic(t *testing.T) {
	dr, servers := newDR(t)
	plan := dr.DirectPlan()
	plan.Conns, plan.Datagrams = 3, 4
	rep := Run(context.Background(), dr.Client, plan)
	if !rep.OK() {
		t.Fatalf("direct traffic failed:\n%s", rep)
	}
	for _, tg := range rep.Targets {
		host, _, _ := net.SplitHostPort(tg.Addr)
		a := netip.MustParseAddr(host)
		want := "rs1"
		if a == RSAddr4(1) || a == RSAddr6(1) {
			want = "rs2"
		}
		if tg.PerServer[want] != tg.OK {
			t.Errorf("%s %s answered by %v, want only %s", tg.Proto, tg.Addr, tg.PerServer, want)
		}
	}
	for _, s := range servers {
		st := s.Stats()
		// two addresses (v4, v6) each
		if st.TCPConns != 6 || st.UDPDatagrams != 8 || st.TCPBytesIn != 6*32<<10 {
			t.Errorf("%v, want 6 conns, %d bytes, 8 datagrams", st, 6*32<<10)
		}
	}
}

// TestDRRealServerAcceptsVIPTraffic plays the director by hand: static
// neighbour entries on the client send VIP traffic to rs2's MAC, as a DR
// director rewrites it. rs2 must accept it on the VIP held on lo and answer
// from the VIP over TCP and UDP, IPv4 and IPv6.
func TestDRRealServerAcceptsVIPTraffic(t *testing.T) {
	dr, _ := newDR(t)
	mac, err := dr.RS[1].MAC("eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, vip := range []netip.Addr{VIP4, VIP6} {
		if err := dr.Client.AddNeigh("eth0", vip.String(), mac); err != nil {
			t.Fatal(err)
		}
	}
	plan := VIPPlan()
	plan.Conns, plan.Datagrams = 2, 3
	rep := Run(context.Background(), dr.Client, plan)
	if !rep.OK() {
		t.Fatalf("VIP traffic to rs2 failed:\n%s", rep)
	}
	for _, tg := range rep.Targets {
		if tg.PerServer["rs2"] != tg.OK {
			t.Errorf("%s %s answered by %v, want rs2 only", tg.Proto, tg.Addr, tg.PerServer)
		}
	}
}

// TestDRVIPResolvesToDirector checks that only the director answers ARP and
// ND for the VIPs: the real servers hold them on lo silently.
func TestDRVIPResolvesToDirector(t *testing.T) {
	dr, _ := newDR(t)
	dmac, err := dr.Director.MAC("eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, vip := range []netip.Addr{VIP4, VIP6} {
		// Nothing listens on the director: a refused connection is enough
		// to resolve the VIP's link-layer address.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, err := dr.Client.DialTCP(ctx, netip.AddrPortFrom(vip, 9).String())
		cancel()
		if err == nil {
			c.Close()
		}
	}
	idx, err := dr.Client.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	neighs, err := dr.Client.Netlink.NeighList(idx, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.Addr]string{}
	for _, n := range neighs {
		if a, ok := netip.AddrFromSlice(n.IP); ok && n.HardwareAddr != nil {
			seen[a.Unmap()] = n.HardwareAddr.String()
		}
	}
	for _, vip := range []netip.Addr{VIP4, VIP6} {
		if seen[vip] != dmac.String() {
			t.Errorf("client resolved %s to %q, want the director's %s (neighbours: %v)", vip, seen[vip], dmac, seen)
		}
	}
}
