package model

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// publishLocked reclaims unused deleted destinations, compiles the
// configuration into a snapshot and hands it to Publish.
func (m *Model) publishLocked() {
	m.reclaimLocked()
	m.gen++
	var svcs []snapshot.Service
	var dests []snapshot.Dest
	// Watch first: a real server just added is resolved (from the
	// kernel's neighbour table, if known) before its next hop is compiled.
	var watch []netip.Addr
	for _, s := range m.svcs {
		for _, d := range s.dests {
			if d.Method != api.MethodLocal { // no next hop: the director's own stack
				watch = append(watch, d.Addr)
			}
		}
	}
	if m.cfg.NextHops != nil {
		m.cfg.NextHops.Watch(watch)
	}
	for _, s := range m.svcs {
		ss := snapshot.Service{
			ID: s.slot, Proto: uint8(s.Key.Protocol), Family: family(s.Key.Addr),
			Addr: s.Key.Addr.As16(), Port: s.Key.Port,
			Sched: s.Scheduler, SchedFlags: s.Flags & (api.SvcSched1 | api.SvcSched2 | api.SvcSched3),
		}
		compilePersist(&ss, &s.Service)
		// Newest first, as the kernel keeps its destination list, so that
		// schedulers break ties as IPVS does.
		for i := len(s.dests) - 1; i >= 0; i-- {
			d := s.dests[i]
			ss.Dests = append(ss.Dests, d.slot)
			dests = append(dests, m.compileDest(d, true))
		}
		svcs = append(svcs, ss)
	}
	for _, d := range m.trash {
		dests = append(dests, m.compileDest(d, false))
	}
	laddrs := m.compileLaddrsLocked(svcs)
	snap, err := snapshot.Build(m.gen, svcs, dests, m.timeouts, m.compileMarks()...)
	if err == nil {
		err = snap.SetLocalAddrs(laddrs)
	}
	if err != nil {
		// Validation makes this unreachable; keep the running snapshot.
		m.cfg.Log.Error("snapshot build failed", "err", err)
		return
	}
	if m.cfg.Publish != nil {
		m.cfg.Publish(snap)
	}
}

func (m *Model) compileDest(d *dest, available bool) snapshot.Dest {
	sd := snapshot.Dest{
		ID: d.slot, Service: d.svcSlot, Addr: d.Addr.As16(), Port: d.Port,
		Method: method(d.Method), Weight: d.Weight,
		UThreshold: d.UThreshold, LThreshold: d.LThreshold,
		Available: available, LastWeight: d.lastWeight,
		TunType: d.TunType, TunPort: d.TunPort, TunFlags: d.TunFlags,
	}
	if m.cfg.NextHops == nil {
		return sd
	}
	nh, ok := m.cfg.NextHops.Lookup(d.Addr)
	if !ok || !nh.Resolved || !nh.Up {
		return sd
	}
	// A tunnel needs an outer source: the director's address on the
	// egress link.
	if d.Method == api.MethodTunnel && !nh.Src.IsValid() {
		return sd
	}
	for i, l := range m.cfg.Links {
		if l.IfIndex == nh.IfIndex {
			sd.NextHop = snapshot.NextHop{Valid: true, Link: uint16(i), SrcMAC: nh.SrcMAC, DstMAC: nh.DstMAC,
				MTU: uint16(min(nh.MTU, 65535)), Src: nh.Src.As16()}
			break
		}
	}
	return sd
}

// reclaimLocked frees the slots of deleted destinations that no
// connection refers to any more.
func (m *Model) reclaimLocked() {
	if m.cfg.Stats == nil {
		for _, d := range m.trash {
			m.dstSlots.put(d.slot)
		}
		m.trash = nil
		return
	}
	kept := m.trash[:0]
	for _, d := range m.trash {
		st := m.cfg.Stats.DestStats(d.slot)
		if st.ActiveConns+st.InactConns+st.PersistConns == 0 { // templates refer to it too
			m.dstSlots.put(d.slot)
			continue
		}
		kept = append(kept, d)
	}
	m.trash = kept
}

func family(a netip.Addr) uint8 {
	if a.Is4() {
		return 4
	}
	return 6
}

func method(m api.Method) snapshot.Method {
	switch m {
	case api.MethodMasq:
		return snapshot.MethodMasq
	case api.MethodTunnel:
		return snapshot.MethodTunnel
	case api.MethodFullNAT:
		return snapshot.MethodFullNAT
	case api.MethodLocal:
		return snapshot.MethodLocal
	}
	return snapshot.MethodRoute
}
