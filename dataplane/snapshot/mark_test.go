package snapshot

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

// Firewall-mark services stay out of the address index (two of them, of
// either family, must not collide there) and are reached through the
// first matching mark rule.
func TestFWMarkServicesAndRules(t *testing.T) {
	svcs := []Service{
		{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80},
		{ID: 1, Family: 4, FWMark: 1},
		{ID: 2, Family: 6, FWMark: 1},
		{ID: 3, Family: 4, FWMark: 2},
	}
	p := netip.MustParsePrefix("198.18.0.0/16")
	rules := []MarkRule{
		{Mark: 2, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Bits: 128, PortFrom: 80, PortTo: 80},
		{Mark: 1, Family: 4, Addr: p.Addr().As16(), Bits: 96 + 16, PortFrom: 1, PortTo: 65535},
		{Mark: 1, Family: 6, Addr: a16("fd00::"), Bits: 8, PortFrom: 443, PortTo: 443},
	}
	s, err := Build(1, svcs, nil, conntrack.DefaultTimeouts(), rules...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		proto uint8
		addr  string
		port  uint16
		want  int
	}{
		{6, "198.18.0.1", 80, 3},  // first rule wins
		{17, "198.18.0.1", 80, 1}, // second rule: any protocol
		{6, "198.18.9.9", 22, 1},
		{6, "198.19.0.1", 22, -1},
		{6, "fd00:1::5", 443, 2},
		{6, "fd00:1::5", 80, -1},
	} {
		a := a16(c.addr)
		got := s.Classify(c.proto, &a, c.port)
		if (c.want < 0) != (got == nil) || (got != nil && got.ID != uint32(c.want)) {
			t.Errorf("%d %s:%d classified as %v, want service %d", c.proto, c.addr, c.port, got, c.want)
		}
	}
	a := a16("198.18.0.1")
	if got := s.Lookup(6, &a, 80); got == nil || got.ID != 0 {
		t.Errorf("address lookup %v, want service 0", got)
	}
	if n := testing.AllocsPerRun(100, func() { s.Classify(6, &a, 22) }); n != 0 {
		t.Errorf("Classify allocates %.0f times", n)
	}
	for _, bad := range []MarkRule{
		{Mark: 0, Family: 4, Bits: 128, PortTo: 1},
		{Mark: 1, Family: 4, Bits: 95, PortTo: 1},
		{Mark: 1, Family: 6, Bits: 129, PortTo: 1},
		{Mark: 1, Family: 4, Bits: 128, PortFrom: 2, PortTo: 1},
		{Mark: 1, Family: 5, Bits: 128, PortTo: 1},
	} {
		if _, err := Build(1, nil, nil, conntrack.DefaultTimeouts(), bad); !errors.Is(err, ErrMarkRule) {
			t.Errorf("rule %+v: err %v, want ErrMarkRule", bad, err)
		}
	}
}

func TestMaskClient(t *testing.T) {
	for _, c := range []struct {
		family  uint8
		netmask uint32
		in, out string
	}{
		{4, 0xffffffff, "198.18.7.9", "198.18.7.9"},
		{4, 0xffffff00, "198.18.7.9", "198.18.7.0"},
		{4, 0xff00ff00, "198.18.7.9", "198.0.7.0"}, // IPVS does not require a contiguous mask
		{6, 128, "fd00::1:2:3", "fd00::1:2:3"},
		{6, 64, "fd00:1:2:3:4:5:6:7", "fd00:1:2:3::"},
		{6, 61, "fd00:1:2:ffff::1", "fd00:1:2:fff8::"},
		{6, 1, "fd00::1", "8000::"},
	} {
		svc := Service{Family: c.family, Netmask: c.netmask}
		in := a16(c.in)
		var out [16]byte
		svc.MaskClient(&out, &in)
		if out != a16(c.out) {
			t.Errorf("%s masked by %d/%#x = %v, want %s", c.in, c.family, c.netmask, netip.AddrFrom16(out), c.out)
		}
	}
}
