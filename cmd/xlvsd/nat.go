package main

import (
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/bpf"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// natSources returns the (protocol, address, port) of every available NAT
// real server of s: the sources whose replies the XDP program must steer
// to the workers. A real server with port 0 (of a port-0 service) answers
// from any port.
func natSources(s *snapshot.Snapshot) []bpf.ServiceKey {
	var keys []bpf.ServiceKey
	for i := range s.Dests {
		d := &s.Dests[i]
		if d.Method != snapshot.MethodMasq || !d.Available || int(d.Service) >= len(s.Services) {
			continue
		}
		svc := &s.Services[d.Service]
		if svc.Family == 0 {
			continue
		}
		keys = append(keys, bpf.ServiceKey{Proto: svc.Proto, Addr: netip.AddrFrom16(d.Addr).Unmap(), Port: d.Port})
	}
	return keys
}

// publishNAT programs the XDP program's NAT sources from s.
func (d *daemon) publishNAT(s *snapshot.Snapshot) {
	if err := d.steer.SetNATSources(natSources(s)); err != nil {
		d.log.Error("update XDP NAT source map", "err", err)
	}
}
