package model

import (
	"math"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
)

func (m *Model) findDest(s *service, addr netip.Addr, port uint16) (int, *dest) {
	for i, d := range s.dests {
		if d.Addr == addr && d.Port == port {
			return i, d
		}
	}
	return -1, nil
}

// validateDest checks a real server as ip_vs_ctl.c does.
func validateDest(s *service, d *api.Dest) *api.Error {
	d.Addr = d.Addr.Unmap()
	if !d.Addr.IsValid() || d.Addr.IsUnspecified() || d.Addr.IsMulticast() {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	if d.Weight < 0 {
		return api.NewError(api.CodeRange, "Numerical result out of range")
	}
	if d.UThreshold > math.MaxInt32 || d.LThreshold > math.MaxInt32 {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	// ip_vs_add_dest/ip_vs_edit_dest compare the two as they are: an
	// l_threshold without a u_threshold is out of range too.
	if d.LThreshold > d.UThreshold {
		return api.NewError(api.CodeRange, "Numerical result out of range")
	}
	if d.Addr.Is4() != s.Key.Addr.Is4() && d.Method != api.MethodTunnel {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	switch d.Method {
	case api.MethodRoute, api.MethodMasq, api.MethodFullNAT, api.MethodLocal:
	case api.MethodTunnel:
		if err := validateTunnel(d); err != nil {
			return err
		}
	default:
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	d.ActiveConns, d.InactConns, d.PersistConns, d.Stats = 0, 0, 0, api.Stats{}
	return nil
}

// validateTunnel checks a tunnel's type and port as ip_vs_ctl.c does
// (unknown type or GUE without a port: EINVAL). IPIP, GUE and GRE are
// all forwarded.
func validateTunnel(d *api.Dest) *api.Error {
	switch d.TunType {
	case api.TunIPIP, api.TunGRE:
	case api.TunGUE:
		if d.TunPort == 0 {
			return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
		}
	default:
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	return nil
}

func (m *Model) destArgs(sk *api.Service, d *api.Dest) (*service, *api.Error) {
	if sk == nil || d == nil {
		return nil, api.NewError(api.CodeInvalid, "missing service or destination")
	}
	_, s := m.findService(sk.Key)
	if s == nil {
		return nil, api.NewError(api.CodeNoService, "Service not defined")
	}
	return s, nil
}

func (m *Model) addDestLocked(sk *api.Service, in *api.Dest) *api.Error {
	s, err := m.destArgs(sk, in)
	if err != nil {
		return err
	}
	d := *in
	if err := validateDest(s, &d); err != nil {
		return err
	}
	if err := m.localNode(s, &d); err != nil {
		return err
	}
	if _, old := m.findDest(s, d.Addr, d.Port); old != nil {
		return api.NewError(api.CodeExists, "Destination already exists")
	}
	nd := m.fromTrash(s, d.Addr, d.Port)
	if nd == nil {
		slot, ok := m.dstSlots.get()
		if !ok {
			return api.NewError(api.CodeNoMem, "Memory allocation problem")
		}
		nd = &dest{slot: slot}
		m.startDest(nd)
	}
	nd.Dest, nd.svc, nd.svcSlot, nd.lastWeight = d, s.Key, s.slot, d.Weight
	s.dests = append(s.dests, nd)
	m.cfg.Log.Info("real server added", "service", keyString(s.Key), "server", addrPort(d.Addr, d.Port), "weight", d.Weight)
	return nil
}

// fromTrash takes back a deleted destination of the same service, address
// and port, so that its surviving connections resume (ip_vs_trash_get_dest).
func (m *Model) fromTrash(s *service, addr netip.Addr, port uint16) *dest {
	for i, d := range m.trash {
		if sameKey(d.svc, s.Key) && d.Addr == addr && d.Port == port {
			m.trash = append(m.trash[:i], m.trash[i+1:]...)
			return d
		}
	}
	return nil
}

func (m *Model) editDestLocked(sk *api.Service, in *api.Dest) *api.Error {
	s, err := m.destArgs(sk, in)
	if err != nil {
		return err
	}
	d := *in
	// ip_vs_edit_dest checks the weight and the thresholds, then looks
	// the destination up: an address that could never be added (not
	// unicast, say) is ENOENT here, not EINVAL.
	if d.Weight < 0 || d.LThreshold > d.UThreshold {
		return api.NewError(api.CodeRange, "Numerical result out of range")
	}
	_, old := m.findDest(s, d.Addr.Unmap(), d.Port)
	if old == nil {
		return api.NewError(api.CodeNotFound, "No such destination")
	}
	if err := validateDest(s, &d); err != nil {
		return err
	}
	if err := m.localNode(s, &d); err != nil {
		return err
	}
	old.Dest = d
	if d.Weight != 0 { // __ip_vs_update_dest keeps last_weight when quiescing
		old.lastWeight = d.Weight
	}
	m.cfg.Log.Info("real server edited", "service", keyString(s.Key), "server", addrPort(d.Addr, d.Port), "weight", d.Weight)
	return nil
}

func (m *Model) delDestLocked(sk *api.Service, in *api.Dest) *api.Error {
	s, err := m.destArgs(sk, in)
	if err != nil {
		return err
	}
	i, old := m.findDest(s, in.Addr.Unmap(), in.Port)
	if old == nil {
		return api.NewError(api.CodeNotFound, "No such destination")
	}
	s.dests = append(s.dests[:i], s.dests[i+1:]...)
	m.trash = append(m.trash, old)
	m.cfg.Log.Info("real server deleted", "service", keyString(s.Key), "server", addrPort(old.Addr, old.Port))
	return nil
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func addrPort(a netip.Addr, port uint16) string { return netip.AddrPortFrom(a, port).String() }
