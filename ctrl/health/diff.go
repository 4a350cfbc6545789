package health

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Diff returns the control requests that turn the configuration old into
// new, and nothing else: services only in old are deleted (with their real
// servers), services only in new are added with their real servers,
// services in both get an edit only if their attributes differ, and their
// real servers are deleted, edited or added one by one. Unchanged services
// and real servers produce no request, so their connections and scheduler
// state stay as they are. Services and real servers are identified by
// their key and address:port; the order of the result is: deletions of
// services, then per service of new (in order) its edit or addition and
// the deletions, edits and additions of its real servers.
func Diff(old, new []api.Service) []*api.Request {
	var reqs []*api.Request
	newKeys := make(map[api.ServiceKey]bool, len(new))
	for i := range new {
		newKeys[normKey(new[i].Key)] = true
	}
	oldByKey := make(map[api.ServiceKey]*api.Service, len(old))
	for i := range old {
		k := normKey(old[i].Key)
		oldByKey[k] = &old[i]
		if !newKeys[k] {
			reqs = append(reqs, &api.Request{Op: api.OpDelService, Service: svcOnly(&old[i])})
		}
	}
	for i := range new {
		reqs = append(reqs, diffService(oldByKey[normKey(new[i].Key)], &new[i])...)
	}
	return reqs
}

// diffService returns the requests that turn service old (nil: absent)
// into new (nil: absent).
func diffService(old, new *api.Service) []*api.Request {
	switch {
	case old == nil && new == nil:
		return nil
	case new == nil:
		return []*api.Request{{Op: api.OpDelService, Service: svcOnly(old)}}
	}
	var reqs []*api.Request
	key := &api.Service{Key: new.Key}
	if old == nil {
		reqs = append(reqs, &api.Request{Op: api.OpAddService, Service: svcOnly(new)})
		for _, d := range uniqueDests(new.Dests) {
			reqs = append(reqs, &api.Request{Op: api.OpAddDest, Service: key, Dest: destOnly(d)})
		}
		return reqs
	}
	if !sameServiceAttrs(old, new) {
		reqs = append(reqs, &api.Request{Op: api.OpEditService, Service: svcOnly(new)})
	}
	oldDests := map[netip.AddrPort]api.Dest{}
	for _, d := range uniqueDests(old.Dests) {
		oldDests[destKey(d)] = d
	}
	newDests := uniqueDests(new.Dests)
	inNew := map[netip.AddrPort]bool{}
	for _, d := range newDests {
		inNew[destKey(d)] = true
	}
	for _, d := range uniqueDests(old.Dests) {
		if !inNew[destKey(d)] {
			reqs = append(reqs, &api.Request{Op: api.OpDelDest, Service: key, Dest: destOnly(d)})
		}
	}
	for _, d := range newDests {
		if o, ok := oldDests[destKey(d)]; ok && !sameDestAttrs(o, d) {
			reqs = append(reqs, &api.Request{Op: api.OpEditDest, Service: key, Dest: destOnly(d)})
		}
	}
	for _, d := range newDests {
		if _, ok := oldDests[destKey(d)]; !ok {
			reqs = append(reqs, &api.Request{Op: api.OpAddDest, Service: key, Dest: destOnly(d)})
		}
	}
	return reqs
}

func normKey(k api.ServiceKey) api.ServiceKey {
	k.Addr = k.Addr.Unmap()
	return k
}

func destKey(d api.Dest) netip.AddrPort { return netip.AddrPortFrom(d.Addr.Unmap(), d.Port) }

// uniqueDests drops later duplicates of an address:port.
func uniqueDests(ds []api.Dest) []api.Dest {
	seen := make(map[netip.AddrPort]bool, len(ds))
	out := make([]api.Dest, 0, len(ds))
	for _, d := range ds {
		if k := destKey(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}

// svcOnly copies a service's key and attributes, without real servers or
// counters.
func svcOnly(s *api.Service) *api.Service {
	c := *s
	c.Dests, c.Stats = nil, api.Stats{}
	return &c
}

// destOnly copies a real server's configuration, without counters.
func destOnly(d api.Dest) *api.Dest {
	d.ActiveConns, d.InactConns, d.PersistConns, d.Stats = 0, 0, 0, api.Stats{}
	return &d
}

func sameServiceAttrs(a, b *api.Service) bool {
	return a.Scheduler == b.Scheduler && a.Flags == b.Flags && a.Timeout == b.Timeout &&
		a.Netmask == b.Netmask && a.PE == b.PE
}

func sameDestAttrs(a, b api.Dest) bool {
	return a.Method == b.Method && a.Weight == b.Weight && a.UThreshold == b.UThreshold &&
		a.LThreshold == b.LThreshold && a.TunType == b.TunType && a.TunPort == b.TunPort &&
		a.TunFlags == b.TunFlags
}
