package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// markRule4 is "tcp prefix ports from-to → mark" for an IPv4 prefix.
func markRule4(mark uint32, proto uint8, prefix string, from, to uint16) snapshot.MarkRule {
	p := netip.MustParsePrefix(prefix)
	return snapshot.MarkRule{Mark: mark, Proto: proto, Family: 4, Addr: p.Addr().As16(), Bits: uint8(96 + p.Bits()), PortFrom: from, PortTo: to}
}

// fwmarkFixture adds service 3: firewall mark 1, persistent, rr over rs1
// and rs2 (slots 6 and 7), and a mark rule for TCP to vip4 ports 80 and
// 443.
func fwmarkFixture(t testing.TB, workers int) *fixture {
	f := newFixture(t, workers, "rr")
	f.svcs = append(f.svcs, snapshot.Service{ID: 3, Family: 4, FWMark: 1, Sched: "rr", Dests: []uint32{6, 7},
		Flags: snapshot.SvcPersistent, PersistTimeout: 360, Netmask: 0xffffffff})
	d6, d7 := f.dests[0], f.dests[1]
	d6.ID, d6.Service, d6.Port = 6, 3, 0
	d7.ID, d7.Service, d7.Port = 7, 3, 0
	f.dests = append(f.dests, d6, d7)
	f.publishMarks(markRule4(1, protoTCP, "198.18.0.100/32", 80, 80), markRule4(1, protoTCP, "198.18.0.100/32", 443, 443))
	return f
}

// A firewall-mark service covering ports 80 and 443 of the VIP takes
// precedence over the vip:80 service and keeps a client on one server
// across both ports; unmarked ports are not served.
func TestFWMarkServicePersistentAcrossPorts(t *testing.T) {
	f := fwmarkFixture(t, 2)
	first := f.serverOf(0, synTo(client(1), 1000, vip4, 80), 1)
	for i, port := range []uint16{443, 80, 443} {
		if got := f.serverOf(i%2, synTo(client(1), uint16(2000+i), vip4, port), 1); got != first {
			t.Errorf("port %d went to %x, want %x", port, got, first)
		}
	}
	st := f.eng.DestStats(6)
	st.Conns += f.eng.DestStats(7).Conns
	if st.Conns != 4 || f.eng.DestStats(0).Conns+f.eng.DestStats(1).Conns != 0 {
		t.Errorf("fwmark service scheduled %d connections, vip:80 service %d; want 4 and 0",
			st.Conns, f.eng.DestStats(0).Conns+f.eng.DestStats(1).Conns)
	}
	f.inject(0, synTo(client(1), 3000, vip4, 22))
	f.poll(2)
	if len(f.sent()) != 0 || f.drops(verdict.NoService) != 1 {
		t.Errorf("port 22 (no rule, no service) was not dropped as no-service")
	}
	f.checkFrames()
}

// A mark without a firewall-mark service leaves the packet to the address
// services, as IPVS does with a marked packet no fwmark service claims.
func TestMarkWithoutServiceFallsBackToAddressService(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.publishMarks(markRule4(9, 0, "198.18.0.0/24", 1, 65535))
	f.serverOf(0, syn(client(1), 1000, vip4), 1)
	if f.eng.DestStats(0).Conns+f.eng.DestStats(1).Conns != 1 {
		t.Errorf("the vip:80 service did not schedule the connection")
	}
}

// A port range as one service: every port of the range reaches the
// firewall-mark service; ports outside it do not.
func TestMarkRulePortRangeAndPrefix(t *testing.T) {
	r := markRule4(5, protoUDP, "198.18.0.0/24", 10000, 10099)
	s, err := snapshot.Build(1, []snapshot.Service{{ID: 0, Family: 4, FWMark: 5, Sched: "rr"}}, nil, conntrack.DefaultTimeouts(), r)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		proto uint8
		addr  string
		port  uint16
		want  bool
	}{
		{protoUDP, "198.18.0.7", 10000, true},
		{protoUDP, "198.18.0.255", 10099, true},
		{protoUDP, "198.18.0.7", 10100, false},
		{protoUDP, "198.18.0.7", 9999, false},
		{protoTCP, "198.18.0.7", 10000, false},
		{protoUDP, "198.18.1.7", 10000, false},
		{protoUDP, "::ffff:198.18.0.7", 10000, true},
		{protoUDP, "fd00::7", 10000, false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr).As16()
		if got := s.Classify(c.proto, &a, c.port) != nil; got != c.want {
			t.Errorf("%d %s:%d classified %v, want %v", c.proto, c.addr, c.port, got, c.want)
		}
	}
	// The fwmark service of the other family does not claim the mark.
	s6, _ := snapshot.Build(1, []snapshot.Service{{ID: 0, Family: 6, FWMark: 5, Sched: "rr"}}, nil, conntrack.DefaultTimeouts(), r)
	a := netip.MustParseAddr("198.18.0.7").As16()
	if s6.Classify(protoUDP, &a, 10000) != nil {
		t.Errorf("an IPv6 fwmark service claimed IPv4 traffic")
	}
}
