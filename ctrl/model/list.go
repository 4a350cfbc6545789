package model

import "github.com/xlvs/xlvs/ctrl/api"

func (m *Model) listLocked() []api.Service {
	out := make([]api.Service, 0, len(m.svcs))
	for _, s := range m.svcs {
		out = append(out, m.render(s))
	}
	return out
}

func (m *Model) getLocked(in *api.Service) (api.Service, *api.Error) {
	if in == nil {
		return api.Service{}, api.NewError(api.CodeInvalid, "missing service")
	}
	_, s := m.findService(in.Key)
	if s == nil {
		return api.Service{}, api.NewError(api.CodeNoService, "No such service")
	}
	return m.render(s), nil
}

// render returns a service as listed: its configuration, its destinations
// with their connection counts, and its own counters (stats.go).
func (m *Model) render(s *service) api.Service {
	out := s.Service
	out.Stats = m.svcStats(s)
	out.Dests = make([]api.Dest, 0, len(s.dests))
	for i := len(s.dests) - 1; i >= 0; i-- { // newest first, as IPVS lists them
		d := s.dests[i]
		ad := d.Dest
		m.destStats(d, &ad)
		out.Dests = append(out.Dests, ad)
	}
	return out
}
