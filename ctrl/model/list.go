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
// with their connection counts, and counters summed from the dataplane.
func (m *Model) render(s *service) api.Service {
	out := s.Service
	out.Stats = api.Stats{}
	out.Dests = make([]api.Dest, 0, len(s.dests))
	for i := len(s.dests) - 1; i >= 0; i-- { // newest first, as IPVS lists them
		d := s.dests[i]
		ad := d.Dest
		m.destStats(d, &ad)
		addStats(&out.Stats, &ad.Stats)
		out.Dests = append(out.Dests, ad)
	}
	for _, d := range m.trash {
		if sameKey(d.svc, s.Key) && d.svcSlot == s.slot {
			var ad api.Dest
			m.destStats(d, &ad)
			addStats(&out.Stats, &ad.Stats)
		}
	}
	return out
}

func (m *Model) destStats(d *dest, out *api.Dest) {
	if m.cfg.Stats == nil {
		return
	}
	st := m.cfg.Stats.DestStats(d.slot)
	out.ActiveConns = uint32(st.ActiveConns)
	out.InactConns = uint32(st.InactConns)
	out.PersistConns = uint32(st.PersistConns)
	out.Stats = api.Stats{Conns: st.Conns, InPkts: st.InPkts, OutPkts: st.OutPkts, InBytes: st.InBytes, OutBytes: st.OutBytes}
}

func addStats(a, b *api.Stats) {
	a.Conns += b.Conns
	a.InPkts += b.InPkts
	a.OutPkts += b.OutPkts
	a.InBytes += b.InBytes
	a.OutBytes += b.OutBytes
}
