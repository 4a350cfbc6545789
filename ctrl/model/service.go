package model

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/sched"
)

func sameKey(a, b api.ServiceKey) bool {
	if a.FWMark != 0 || b.FWMark != 0 {
		// IPVS keys firewall-mark services by (family, mark) alone.
		return a.FWMark == b.FWMark && a.Addr.Unmap().Is6() == b.Addr.Unmap().Is6()
	}
	return a.Protocol == b.Protocol && a.Addr.Unmap() == b.Addr.Unmap() && a.Port == b.Port && a.FWMark == b.FWMark
}

func (m *Model) findService(k api.ServiceKey) (int, *service) {
	for i, s := range m.svcs {
		if sameKey(s.Key, k) {
			return i, s
		}
	}
	return -1, nil
}

// validateService checks a service as ip_vs_ctl.c does and fills in what
// IPVS defaults. It does not look at existing services.
func validateService(s *api.Service) *api.Error {
	if s == nil {
		return api.NewError(api.CodeInvalid, "missing service")
	}
	s.Key.Addr = s.Key.Addr.Unmap()
	if s.Key.FWMark != 0 {
		normalizeFWMark(&s.Key)
	} else if err := validateAddrKey(s.Key); err != nil {
		return err
	}
	if s.Scheduler == "" {
		s.Scheduler = "wlc"
	}
	if _, ok := sched.Lookup(s.Scheduler); !ok {
		return api.NewError(api.CodeNotFound, "Scheduler or persistence engine not found")
	}
	// IPVS keeps a persistence engine on any service (ipvsadm -S shows
	// it) and uses it only while the service is persistent.
	if s.PE != "" && s.PE != PESIP {
		return api.NewError(api.CodeNotFound, "Scheduler or persistence engine not found")
	}
	if s.Flags&api.SvcPersistent != 0 && s.Timeout == 0 {
		s.Timeout = api.DefaultPersistTimeout // a bare -p
	}
	if s.Key.IsIPv6() {
		if s.Netmask == 0 {
			s.Netmask = 128
		}
		if s.Netmask < 1 || s.Netmask > 128 {
			return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
		}
	} else if s.Netmask == 0 {
		s.Netmask = 0xffffffff
	}
	if err := validateClientAddr(s); err != nil {
		return err
	}
	s.Flags &^= api.SvcHashed
	s.Stats = api.Stats{}
	s.Dests = nil
	return nil
}

// validateAddrKey checks the key of an address service: TCP, UDP or SCTP
// to a unicast address.
func validateAddrKey(k api.ServiceKey) *api.Error {
	switch k.Protocol {
	case api.ProtoTCP, api.ProtoUDP, api.ProtoSCTP:
	default:
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	if !k.Addr.IsValid() || k.Addr.IsUnspecified() || k.Addr.IsMulticast() {
		return api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	}
	return nil
}

// normalizeFWMark gives a firewall-mark key its canonical form: IPVS keys
// such a service by (family, mark); the family is IPv6 when the key's
// address is an IPv6 one (ipvsadm -f N -6 sends ::), IPv4 otherwise.
func normalizeFWMark(k *api.ServiceKey) {
	addr := netip.IPv4Unspecified()
	if k.Addr.Unmap().Is6() {
		addr = netip.IPv6Unspecified()
	}
	*k = api.ServiceKey{FWMark: k.FWMark, Addr: addr}
}

func (m *Model) addServiceLocked(in *api.Service) *api.Error {
	if in == nil {
		return api.NewError(api.CodeInvalid, "missing service")
	}
	s := *in
	// ip_vs_ctl.c looks the service up before it checks the scheduler,
	// persistence engine or flags: an existing key is EEXIST whatever
	// else the request asks.
	if _, old := m.findService(s.Key); old != nil {
		return api.NewError(api.CodeExists, "Service already exists")
	}
	if err := validateService(&s); err != nil {
		return err
	}
	slot, ok := m.svcSlots.get()
	if !ok {
		return api.NewError(api.CodeNoMem, "Memory allocation problem")
	}
	ns := &service{Service: s, slot: slot}
	m.startService(ns)
	m.svcs = append(m.svcs, ns)
	m.cfg.Log.Info("service added", "service", keyString(s.Key), "scheduler", s.Scheduler)
	return nil
}

func (m *Model) editServiceLocked(in *api.Service) *api.Error {
	if in == nil {
		return api.NewError(api.CodeInvalid, "missing service")
	}
	s := *in
	// The kernel looks the service up before anything else: a missing
	// one is ESRCH whatever the request asks (persistence included).
	_, old := m.findService(s.Key)
	if old == nil {
		return api.NewError(api.CodeNoService, "No such service")
	}
	if err := validateService(&s); err != nil {
		return err
	}
	old.Scheduler, old.Flags, old.Timeout, old.Netmask, old.PE = s.Scheduler, s.Flags, s.Timeout, s.Netmask, s.PE
	old.ClientAddr = s.ClientAddr
	m.cfg.Log.Info("service edited", "service", keyString(s.Key), "scheduler", s.Scheduler)
	return nil
}

func (m *Model) delServiceLocked(in *api.Service) *api.Error {
	if in == nil {
		return api.NewError(api.CodeInvalid, "missing service")
	}
	i, old := m.findService(in.Key)
	if old == nil {
		return api.NewError(api.CodeNoService, "No such service")
	}
	for _, d := range old.dests {
		m.trash = append(m.trash, d)
	}
	m.svcs = append(m.svcs[:i], m.svcs[i+1:]...)
	m.svcSlots.put(old.slot)
	m.cfg.Log.Info("service deleted", "service", keyString(old.Key))
	return nil
}

func (m *Model) flushLocked() {
	for _, s := range m.svcs {
		m.trash = append(m.trash, s.dests...)
		m.svcSlots.put(s.slot)
	}
	m.svcs = nil
	m.cfg.Log.Info("all services deleted")
}

func keyString(k api.ServiceKey) string {
	p := "tcp"
	switch k.Protocol {
	case api.ProtoUDP:
		p = "udp"
	case api.ProtoSCTP:
		p = "sctp"
	}
	if k.FWMark != 0 {
		return "fwmark " + itoa(uint64(k.FWMark))
	}
	return p + " " + addrPort(k.Addr, k.Port)
}
