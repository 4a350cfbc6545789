package model

import "github.com/xlvs/xlvs/ctrl/api"

// localNode applies IPVS's local-node rule to real server d of service s,
// as __ip_vs_update_dest did: a real server whose address is one of the
// director's own (Config.IsLocal) is forwarded as a local node, whatever
// method was asked for — ipvsadm then lists it as "Local" and saves it as
// -g. Its packets are delivered to the director's own stack unchanged, so
// the stack accepts them only when the VIP is one of its addresses too: a
// local node of a service whose VIP is not is accepted, as IPVS accepts
// it, and logged as a warning. Asking for the local-node method for an
// address that is not local is EINVAL.
func (m *Model) localNode(s *service, d *api.Dest) *api.Error {
	if m.cfg.IsLocal == nil || !m.cfg.IsLocal(d.Addr) {
		if d.Method == api.MethodLocal {
			return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
		}
		return nil
	}
	if d.Addr.Is4() != s.Key.Addr.Is4() { // only a tunnel may cross families
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	d.Method, d.TunType, d.TunPort, d.TunFlags = api.MethodLocal, 0, 0, 0
	if s.Key.FWMark == 0 && !m.cfg.IsLocal(s.Key.Addr) {
		m.cfg.Log.Warn("local real server: the VIP is not an address of the director, whose stack will not accept its packets; add the VIP to an interface of the director",
			"service", keyString(s.Key), "server", addrPort(d.Addr, d.Port))
	}
	return nil
}
