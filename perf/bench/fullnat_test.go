package main

import (
	"net/netip"
	"testing"
)

// The FULLNAT hook gives local ports for every connection the table
// holds, on addresses of the sink's net that no host of the topology uses.
func TestFullNATTopoCoversTheConnections(t *testing.T) {
	for _, connMax := range []int{1, 1 << 16, 1 << 21} {
		daemon, adm := fullnatTopo("-u", "198.18.1.100:9", connMax)
		if len(daemon) != 2 || daemon[0] != "--nat-conn-max" {
			t.Errorf("%d: xlvsd flags %q", connMax, daemon)
		}
		if got := len(adm) * fullnatPortsPerLaddr; got < connMax {
			t.Errorf("%d connections: %d local addresses give %d ports", connMax, len(adm), got)
		}
		sinkNet := netip.MustParsePrefix(sinkAddr).Masked()
		for _, c := range adm {
			a := netip.MustParseAddr(c[4])
			if c[0] != "-P" || c[1] != "-u" || !sinkNet.Contains(a) || a == rsAddrs[0] || a == rsAddrs[1] ||
				a == netip.MustParsePrefix(sinkAddr).Addr() {
				t.Errorf("%d: command %q", connMax, c)
			}
		}
	}
}
