package netinfo

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/internal/netlab"
)

// IsLocal answers as the kernel's local table: the director's own
// addresses (IPv4, IPv4-mapped and IPv6, on any interface, loopback
// range included) are local; a neighbour's and an unknown one are not.
func TestIsLocal(t *testing.T) {
	netlab.RequireRoot(t)
	tp := newTopo(t)
	mustDo(t, tp.dir.SetUp("lo"))
	mustDo(t, tp.dir.AddAddr("lo", "198.18.9.9/32"))
	r := tp.newResolver(t, DefaultOptions())
	for a, want := range map[string]bool{
		"198.18.1.1": true, "fd00:1::1": true, "::ffff:198.18.1.1": true, "198.18.9.9": true, "127.0.0.5": true,
		"198.18.1.2": false, "fd00:1::2": false, "198.18.7.7": false, "203.0.113.1": false,
	} {
		if got := r.IsLocal(netip.MustParseAddr(a)); got != want {
			t.Errorf("IsLocal(%s) = %v, want %v", a, got, want)
		}
	}
	if r.IsLocal(netip.Addr{}) {
		t.Error("the zero address is local")
	}
}
