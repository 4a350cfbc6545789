package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// TestLocalNodeRealServer: a DR service whose real servers are rs1 and the
// director itself. The director's address makes the second a local node
// ("Local" in the listing); xlvsd's workers deliver its connections to
// the director's own stack through the TAP device, where an echo server
// listens on the VIP, and its replies leave by the kernel's routing.
// Connections alternate (rr) and every one of them is checked byte for
// byte, over IPv4 and IPv6, with a strict reverse-path filter on the
// director.
func TestLocalNodeRealServer(t *testing.T) {
	h := newHarness(t, "local", labtraffic.DROptions{RealServers: 1})
	var addrs []string
	for _, a := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		addrs = append(addrs, netip.AddrPortFrom(a, labtraffic.TCPPort).String())
	}
	self, err := labtraffic.Serve(h.dr.Director, "director", addrs, nil)
	if err != nil {
		t.Fatalf("serving on the director: %v", err)
	}
	t.Cleanup(func() { self.Close() })
	// A strict reverse-path filter for all interfaces, as hardened hosts
	// have: the local-node device must still take the clients' packets.
	if err := h.dr.Director.SetSysctl("net/ipv4/conf/all/rp_filter", "1"); err != nil {
		t.Fatal(err)
	}
	d := h.startDirector()
	for _, svc := range []struct{ vip, rs, self string }{
		{"198.18.0.100:80", "198.18.0.11:80", "198.18.0.1:80"},
		{"[fd00:18::100]:80", "[fd00:18::11]:80", "[fd00:18::1]:80"},
	} {
		h.adm("-A", "-t", svc.vip, "-s", "rr")
		h.adm("-a", "-t", svc.vip, "-r", svc.rs, "-g")
		h.adm("-a", "-t", svc.vip, "-r", svc.self, "-m") // the director's own address: a local node
	}
	list := h.adm("-L", "-n")
	for _, want := range []string{
		"  -> 198.18.0.1:80                Local   1      ",
		"  -> 198.18.0.11:80               Route   1      ",
		"  -> [fd00:18::1]:80              Local   1      ",
		"  -> [fd00:18::11]:80             Route   1      ",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("xlvsadm -L -n lacks %q:\n%s", want, list)
		}
	}
	if save := h.adm("-S", "-n"); !strings.Contains(save, "-a -t 198.18.0.100:80 -r 198.18.0.1:80 -g -w 1\n") {
		t.Errorf("xlvsadm -S -n saves the local node as:\n%s", save)
	}

	rep := h.traffic(labtraffic.Plan{TCP: addrs, Conns: 10, Bytes: 4 << 10})
	for _, tg := range rep.Targets {
		if tg.PerServer["director"] == 0 || tg.PerServer["rs1"] == 0 || tg.PerServer["director"]+tg.PerServer["rs1"] != 10 {
			t.Errorf("%s: answers by server %v, want both the director and rs1 among 10", tg.Addr, tg.PerServer)
		}
	}
	if n := self.Stats().TCPConns; n < 2 {
		t.Errorf("the director's own server accepted %d connections", n)
	}
	c := h.counters()
	if c["drop-no-local-device"] != 0 || c["drop-local-delivery-failed"] != 0 {
		t.Errorf("local delivery drops: %d no-local-device, %d failed", c["drop-no-local-device"], c["drop-local-delivery-failed"])
	}
	if log := d.stop(); !strings.Contains(log, "device=xlvs-local") {
		t.Errorf("xlvsd did not announce its local-node device:\n%s", log)
	}
}
