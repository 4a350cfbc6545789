package model

import (
	"net"
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// MaxLaddrsPerService bounds the local addresses of one service, which
// bounds the work of a worker that finds them all out of ports.
const MaxLaddrsPerService = 64

// LaddrStats reads the dataplane's per-local-address counters: the
// connections using slot and the new connections refused for want of a
// free port on it. The model uses it when Config.Stats implements it;
// otherwise the counters read zero and the slot of a deleted local
// address is reused at once.
type LaddrStats interface {
	LaddrStats(slot uint32) (conns, conflicts uint64)
}

// laddrs is the FULLNAT local address configuration: the slots, shared by
// every service using an address, and each service's list.
type laddrs struct {
	slots  slots
	byAddr map[netip.Addr]*lip
	bySvc  map[*service][]*svcLaddr
}

// lip is one local address slot.
type lip struct {
	addr netip.Addr
	slot uint32
	link int // snapshot.NoLink or the index in Config.Links
	refs int // services using it; 0: draining
}

// svcLaddr is a local address of one service.
type svcLaddr struct {
	lip    *lip
	ifname string
}

func (l *laddrs) init() {
	if l.byAddr == nil {
		l.slots = newSlots(snapshot.MaxLocalAddrs)
		l.byAddr = map[netip.Addr]*lip{}
		l.bySvc = map[*service][]*svcLaddr{}
	}
}

// laddrLocked runs OpAddLaddr, OpDelLaddr and OpGetLaddrs.
func (m *Model) laddrLocked(req *api.Request, resp *api.Response) *api.Error {
	m.fnat.init()
	if req.Service == nil || (req.Laddr == nil && req.Op != api.OpGetLaddrs) {
		return api.NewError(api.CodeInvalid, "missing service or local address")
	}
	_, s := m.findService(req.Service.Key)
	if s == nil {
		return api.NewError(api.CodeNoService, "No such service")
	}
	switch req.Op {
	case api.OpAddLaddr:
		return m.addLaddrLocked(s, req.Laddr)
	case api.OpDelLaddr:
		return m.delLaddrLocked(s, req.Laddr.Addr.Unmap())
	}
	resp.Laddrs = []api.LocalAddr{}
	for _, sl := range m.fnat.bySvc[s] {
		la := api.LocalAddr{Addr: sl.lip.addr, Ifname: sl.ifname}
		la.Conns, la.PortConflicts = m.laddrStats(sl.lip.slot)
		resp.Laddrs = append(resp.Laddrs, la)
	}
	return nil
}

func (m *Model) laddrStats(slot uint32) (conns, conflicts uint64) {
	if st, ok := m.cfg.Stats.(LaddrStats); ok {
		return st.LaddrStats(slot)
	}
	return 0, 0
}

// addLaddrLocked validates a local address as DPVS does (a unicast
// address of the service's family, not already the service's) and as
// xlvs needs (not a virtual address, on a served interface if named).
func (m *Model) addLaddrLocked(s *service, in *api.LocalAddr) *api.Error {
	a := in.Addr.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() || a.Zone() != "" {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	if a.Is4() != s.Key.Addr.Is4() {
		return api.NewError(api.CodeAFNoSupport, "Operation not supported with specified address family")
	}
	for _, o := range m.svcs {
		if o.Key.FWMark == 0 && o.Key.Addr.Unmap() == a {
			return api.NewError(api.CodeInvalid, "local address "+a.String()+" is a virtual address")
		}
	}
	list := m.fnat.bySvc[s]
	for _, sl := range list {
		if sl.lip.addr == a {
			return api.NewError(api.CodeExists, "Local address already exists")
		}
	}
	if len(list) >= MaxLaddrsPerService {
		return api.NewError(api.CodeNoMem, "Memory allocation problem")
	}
	link := snapshot.NoLink
	if in.Ifname != "" {
		var err *api.Error
		if link, err = m.linkIndex(in.Ifname); err != nil {
			return err
		}
	}
	l := m.fnat.byAddr[a]
	if l != nil && l.refs > 0 && l.link != link {
		return api.NewError(api.CodeInvalid, "local address "+a.String()+" is already used on another interface")
	}
	if l == nil {
		slot, ok := m.fnat.slots.get()
		if !ok {
			return api.NewError(api.CodeNoMem, "Memory allocation problem")
		}
		l = &lip{addr: a, slot: slot}
		m.fnat.byAddr[a] = l
	}
	l.link = link
	l.refs++
	m.fnat.bySvc[s] = append(list, &svcLaddr{lip: l, ifname: in.Ifname})
	m.cfg.Log.Info("local address added", "service", keyString(s.Key), "laddr", a, "ifname", in.Ifname)
	return nil
}

// linkIndex maps an interface name to its index in Config.Links.
func (m *Model) linkIndex(name string) (int, *api.Error) {
	idx := -1
	if m.cfg.IfIndex != nil {
		idx = m.cfg.IfIndex(name)
	} else if ifi, err := net.InterfaceByName(name); err == nil {
		idx = ifi.Index
	}
	for i, l := range m.cfg.Links {
		if idx > 0 && l.IfIndex == idx {
			return i, nil
		}
	}
	return 0, api.NewError(api.CodeNoDevice, "No such device")
}

// delLaddrLocked removes a local address from a service. Connections
// using it go on: while any is left the address stays in the snapshot,
// unavailable to new connections, and its replies are still steered and
// translated; its slot is reused once none is left.
func (m *Model) delLaddrLocked(s *service, a netip.Addr) *api.Error {
	list := m.fnat.bySvc[s]
	for i, sl := range list {
		if sl.lip.addr == a {
			m.fnat.bySvc[s] = append(list[:i:i], list[i+1:]...)
			sl.lip.refs--
			m.cfg.Log.Info("local address deleted", "service", keyString(s.Key), "laddr", a)
			return nil
		}
	}
	return api.NewError(api.CodeNotFound, "No such local address")
}

// compileLaddrsLocked forgets the local addresses of deleted services,
// reclaims the slots no service and no connection uses any more, fills in
// the FULLNAT part of the compiled services and returns the local
// address table of the snapshot.
func (m *Model) compileLaddrsLocked(svcs []snapshot.Service) []snapshot.LocalAddr {
	m.fnat.init()
	live := make(map[*service]bool, len(m.svcs))
	for _, s := range m.svcs {
		live[s] = true
	}
	for s, list := range m.fnat.bySvc {
		if !live[s] {
			for _, sl := range list {
				sl.lip.refs--
			}
			delete(m.fnat.bySvc, s)
		}
	}
	var out []snapshot.LocalAddr
	for a, l := range m.fnat.byAddr {
		if l.refs == 0 {
			if conns, _ := m.laddrStats(l.slot); conns == 0 {
				m.fnat.slots.put(l.slot)
				delete(m.fnat.byAddr, a)
				continue
			}
		}
		out = append(out, snapshot.LocalAddr{ID: l.slot, Family: family(a), Addr: a.As16(), Link: l.link, Available: l.refs > 0})
	}
	for i, s := range m.svcs {
		fn := &svcs[i].FullNAT
		fn.ClientAddr = clientAddrMode(s.ClientAddr)
		for _, sl := range m.fnat.bySvc[s] {
			fn.Laddrs = append(fn.Laddrs, sl.lip.slot)
		}
	}
	return out
}

// validateClientAddr checks a service's client address mode: TOA is a TCP
// option; the PROXY protocol has TCP and UDP forms.
func validateClientAddr(s *api.Service) *api.Error {
	switch s.ClientAddr {
	case api.ClientAddrNone, api.ClientAddrProxyV2:
		return nil
	case api.ClientAddrTOA:
		if s.Key.FWMark == 0 && s.Key.Protocol != api.ProtoTCP {
			return api.NewError(api.CodeUnsupported, "TOA carries the client address in a TCP option: it needs a TCP service")
		}
		return nil
	}
	return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
}

func clientAddrMode(s string) snapshot.ClientAddrMode {
	switch s {
	case api.ClientAddrTOA:
		return snapshot.ClientAddrTOA
	case api.ClientAddrProxyV2:
		return snapshot.ClientAddrProxyV2
	}
	return snapshot.ClientAddrNone
}
