package keepalived

import (
	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/health"
)

// Config is the LVS part of a keepalived configuration.
type Config struct {
	// Services are the virtual services in file order; a virtual_server
	// group contributes one per member of the group.
	Services []VirtualServer
	// Timeouts are global_defs' lvs_timeouts; nil: not set.
	Timeouts *api.Timeouts
	// Flush is global_defs' lvs_flush: clear the director at start.
	Flush bool
	// Warnings are what keepalived would have logged while reading.
	Warnings []Warning
}

// VirtualServer is one virtual service with its real servers and checks.
type VirtualServer struct {
	// Pos is where its virtual_server block starts.
	Pos Pos
	health.Service
}

// HealthServices returns the services for [health.Checker.Update].
func (c *Config) HealthServices() []health.Service {
	out := make([]health.Service, len(c.Services))
	for i := range c.Services {
		out[i] = c.Services[i].Service
	}
	return out
}

// Requests returns what loading the configuration asks of a director whose
// real servers all start healthy: lvs_flush, lvs_timeouts, then every
// service with its real servers (no sorry server), as xlvsadm requests.
func (c *Config) Requests() []*api.Request {
	var reqs []*api.Request
	if c.Flush {
		reqs = append(reqs, &api.Request{Op: api.OpFlush})
	}
	if c.Timeouts != nil {
		t := *c.Timeouts
		reqs = append(reqs, &api.Request{Op: api.OpSetTimeouts, Timeouts: &t})
	}
	var svcs []api.Service
	for _, vs := range c.Services {
		s := vs.Service.Service
		s.Dests = nil
		for _, r := range vs.Reals {
			s.Dests = append(s.Dests, r.Dest)
		}
		svcs = append(svcs, s)
	}
	return append(reqs, health.Diff(nil, svcs)...)
}
