package ipvsadm

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

func tcpSvc(addr string, port uint16) api.Service {
	return api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr(addr), Port: port}}
}

// TestCmpServicesWraps reproduces SPEC §2.9's example: address differences
// wrap at 2^31, so 192.168.0.1 < 10.0.0.1 < 127.0.0.1 < 192.168.0.1.
func TestCmpServicesWraps(t *testing.T) {
	a, b, c := tcpSvc("192.168.0.1", 0), tcpSvc("10.0.0.1", 80), tcpSvc("127.0.0.1", 80)
	if cmpServices(&a, &b) >= 0 || cmpServices(&b, &c) >= 0 || cmpServices(&c, &a) >= 0 {
		t.Errorf("cmp(192,10)=%d cmp(10,127)=%d cmp(127,192)=%d, want all < 0",
			cmpServices(&a, &b), cmpServices(&b, &c), cmpServices(&c, &a))
	}
	// Firewall marks last (by wrapped difference), IPv4 before IPv6, then
	// TCP < UDP < SCTP, then address, then port.
	fw := api.Service{Key: api.ServiceKey{FWMark: 1, Addr: netip.IPv4Unspecified()}}
	v6 := tcpSvc("2001:db8::1", 80)
	udp := api.Service{Key: api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("1.1.1.1"), Port: 1}}
	for _, tt := range []struct {
		x, y api.Service
		sign int32
	}{
		{b, fw, -1}, {v6, fw, -1}, {b, v6, -1}, {b, udp, -1}, {tcpSvc("10.0.0.1", 79), b, -1}, {b, b, 0},
		{api.Service{Key: api.ServiceKey{FWMark: 0x7fffffff}}, fw, 1},
		{api.Service{Key: api.ServiceKey{FWMark: 0x80000001}}, fw, -1}, // wraps
	} {
		got := cmpServices(&tt.x, &tt.y)
		if (got < 0 && tt.sign >= 0) || (got > 0 && tt.sign <= 0) || (got == 0 && tt.sign != 0) {
			t.Errorf("cmp(%v, %v) = %d, want sign %d", tt.x.Key, tt.y.Key, got, tt.sign)
		}
	}
}

// TestMergeSortNonTransitive sorts the golden scenario's services, given
// in insertion order (the order of golden/L_n_nosort), and checks the
// order of golden/L_n, which only glibc's merge sort produces.
func TestMergeSortNonTransitive(t *testing.T) {
	in := []api.Service{
		tcpSvc("10.0.0.1", 80), tcpSvc("10.0.0.1", 443),
		{Key: api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("10.0.0.2"), Port: 53}},
		{Key: api.ServiceKey{FWMark: 100, Addr: netip.IPv4Unspecified()}},
		tcpSvc("192.168.0.1", 0),
		{Key: api.ServiceKey{Protocol: api.ProtoSCTP, Addr: netip.MustParseAddr("10.0.0.3"), Port: 3868}},
		tcpSvc("10.0.0.1", 8080), tcpSvc("200.0.0.1", 80), tcpSvc("127.0.0.1", 80),
	}
	want := []string{
		"192.168.0.1:0", "10.0.0.1:80", "10.0.0.1:443", "10.0.0.1:8080", "127.0.0.1:80", "200.0.0.1:80",
		"10.0.0.2:53", "10.0.0.3:3868", "fwmark 100",
	}
	got := slices.Clone(in)
	SortServices(got)
	if g := keysOf(got); !slices.Equal(g, want) {
		t.Errorf("merge sort: %v\nwant %v", g, want)
	}
	// The comparator is not a total order: another stable algorithm gives
	// another answer, which is why the algorithm is ported.
	other := slices.Clone(in)
	slices.SortStableFunc(other, func(a, b api.Service) int { return int(cmpServices(&a, &b)) })
	if g := keysOf(other); slices.Equal(g, want) {
		t.Logf("slices.SortStableFunc happens to agree: %v", g)
	}
	// Real servers: 200.1.1.1 sorts before 10.1.1.1 in either input order.
	for _, ds := range [][]api.Dest{
		{{Addr: netip.MustParseAddr("200.1.1.1"), Port: 80}, {Addr: netip.MustParseAddr("10.1.1.1"), Port: 80}},
		{{Addr: netip.MustParseAddr("10.1.1.1"), Port: 80}, {Addr: netip.MustParseAddr("200.1.1.1"), Port: 80}},
	} {
		SortDests(ds)
		if ds[0].Addr != netip.MustParseAddr("200.1.1.1") {
			t.Errorf("dests: %v first", ds[0].Addr)
		}
	}
}

func keysOf(svcs []api.Service) []string {
	var out []string
	for _, s := range svcs {
		if s.Key.FWMark != 0 {
			out = append(out, "fwmark 100")
			continue
		}
		out = append(out, netip.AddrPortFrom(s.Key.Addr, s.Key.Port).String())
	}
	return out
}

// TestMergeSortMatchesStableSort checks, on random inputs where the
// comparator is a total order (all addresses within 10.0.0.0/8), that the
// merge sort is a correct stable sort.
func TestMergeSortMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		ds := make([]api.Dest, r.IntN(40))
		for i := range ds {
			ds[i] = api.Dest{Addr: addrFromUint32(0x0a000000 | r.Uint32N(8)), Port: uint16(r.IntN(3)), Weight: int32(i)}
		}
		want := slices.Clone(ds)
		slices.SortStableFunc(want, func(a, b api.Dest) int { return int(cmpDests(&a, &b)) })
		SortDests(ds)
		if !slices.Equal(ds, want) {
			t.Fatalf("merge sort %v\nwant %v", ds, want)
		}
	}
}

// TestCmpDestsMixedFamilies: the first dest's family decides, an IPv4
// address reads as the first word of the union.
func TestCmpDestsMixedFamilies(t *testing.T) {
	v4 := api.Dest{Addr: netip.MustParseAddr("192.168.10.1"), Port: 80}
	v6 := api.Dest{Addr: netip.MustParseAddr("2001:db8::99"), Port: 80}
	if cmpDests(&v4, &v6) >= 0 { // 0xc0a80a01 - 0x20010db8 wraps negative
		t.Errorf("cmp(v4, v6) = %d, want < 0", cmpDests(&v4, &v6))
	}
	if cmpDests(&v6, &v4) <= 0 {
		t.Errorf("cmp(v6, v4) = %d, want > 0", cmpDests(&v6, &v4))
	}
}
