package netinfo

import (
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
)

// BenchmarkLookup measures the read the daemon does per real server when
// it compiles a snapshot.
func BenchmarkLookup(b *testing.B) {
	tp := newTopo(b)
	r := tp.newResolverLog(b, DefaultOptions(), slog.New(slog.DiscardHandler))
	r.Watch([]netip.Addr{peerV4})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Lookup(peerV4); !ok {
			b.Fatal("no next hop")
		}
	}
}

// BenchmarkRecompute measures a full recomputation (one RTM_GETROUTE per
// watched address), which every route, link or address event costs.
func BenchmarkRecompute(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("watched=%d", n), func(b *testing.B) {
			tp := newTopo(b)
			mustDo(b, tp.dir.AddRoute("198.18.128.0/17", peerV4.String()))
			r := tp.newResolverLog(b, DefaultOptions(), slog.New(slog.DiscardHandler))
			addrs := make([]netip.Addr, n)
			base := netip.MustParseAddr("198.18.128.1").As4()
			for i := range addrs {
				a := base
				a[2] += byte(i >> 8)
				a[3] += byte(i)
				addrs[i] = netip.AddrFrom4(a)
			}
			r.Watch(addrs)
			b.ReportAllocs()
			for b.Loop() {
				r.mu.Lock()
				r.updateAll()
				r.mu.Unlock()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/addr")
		})
	}
}
