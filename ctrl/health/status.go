package health

import (
	"net/netip"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// RealServerStatus is the health of one real server (or sorry server) of
// a service, for metrics and the HTTP API.
type RealServerStatus struct {
	Service api.ServiceKey `json:"service"`
	Addr    netip.Addr     `json:"addr"`
	Port    uint16         `json:"port"`
	// Sorry marks the service's sorry_server.
	Sorry bool `json:"sorry,omitempty"`
	// Healthy: every check passes (always true for a sorry server and for
	// a real server without checks).
	Healthy   bool      `json:"healthy"`
	LastCheck time.Time `json:"last_check,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// ConfiguredWeight is the weight in the configuration; CurrentWeight
	// the weight the director holds, meaningful when InService.
	ConfiguredWeight int32 `json:"configured_weight"`
	CurrentWeight    int32 `json:"current_weight"`
	// InService: the director has the server in the service's pool.
	InService bool `json:"in_service"`
	// Checkers lists the checks' types ("TCP_CHECK").
	Checkers []string `json:"checkers,omitempty"`
}

// Status returns the state of every real server and sorry server, by
// service in configuration order.
func (c *Checker) Status() []RealServerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []RealServerStatus
	for _, s := range c.svcs {
		applied := map[netip.AddrPort]api.Dest{}
		if a := c.applied[s.key]; a != nil {
			for _, d := range a.Dests {
				applied[destKey(d)] = d
			}
		}
		for _, r := range s.reals {
			st := RealServerStatus{
				Service: s.key, Addr: r.cfg.Dest.Addr, Port: r.cfg.Dest.Port,
				Healthy: r.healthy, LastCheck: r.lastCheck, LastError: r.lastErr,
				ConfiguredWeight: r.cfg.Dest.Weight,
			}
			for _, ch := range r.cfg.Checks {
				st.Checkers = append(st.Checkers, ch.Type.String())
			}
			if d, ok := applied[destKey(r.cfg.Dest)]; ok {
				st.InService, st.CurrentWeight = true, d.Weight
			}
			out = append(out, st)
		}
		if s.cfg.Sorry != nil {
			st := RealServerStatus{Service: s.key, Addr: s.cfg.Sorry.Addr, Port: s.cfg.Sorry.Port,
				Sorry: true, Healthy: true, ConfiguredWeight: s.cfg.Sorry.Weight}
			if d, ok := applied[destKey(*s.cfg.Sorry)]; ok {
				st.InService, st.CurrentWeight = true, d.Weight
			}
			out = append(out, st)
		}
	}
	return out
}
