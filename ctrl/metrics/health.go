package metrics

import (
	"github.com/xlvs/xlvs/ctrl/health"
)

// CheckedHealth converts a health checker's report ([health.Checker.Status])
// into the health of the checked real servers: a real server with at
// least one check is healthy when all its checks pass. Sorry servers and
// real servers without checks are left out, so they have no
// xlvs_backend_healthy series and the HTTP API shows their health as
// "unknown". A failed real server that the checker removed from its
// service keeps its series (at 0), although the listing no longer shows it.
func CheckedHealth(st []health.RealServerStatus) []RealServerHealth {
	out := make([]RealServerHealth, 0, len(st))
	for i := range st {
		s := &st[i]
		if s.Sorry || len(s.Checkers) == 0 {
			continue
		}
		out = append(out, RealServerHealth{Service: s.Service, Addr: s.Addr, Port: s.Port, Healthy: s.Healthy})
	}
	return out
}
