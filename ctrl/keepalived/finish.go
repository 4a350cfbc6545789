package keepalived

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/health"
)

// finishVS applies keepalived's defaults to a virtual_server block and
// returns its services, one per key.
func (ps *parser) finishVS(d *vsDraft) ([]VirtualServer, error) {
	n := d.n
	if len(d.reals) == 0 {
		ps.warn(n, "Virtual server %s has no real servers - ignoring", d.name)
		return nil, nil
	}
	if d.sched == "" {
		ps.warn(n, "Virtual server %s: no scheduler set, setting default 'wlc'", d.name)
		d.sched = "wlc"
	}
	if !d.method.set {
		for _, r := range d.reals {
			if !r.method.set {
				ps.warn(n, "Virtual server %s: no forwarding method set, setting default NAT", d.name)
				break
			}
		}
		d.method = method{m: api.MethodMasq, set: true}
	}
	if d.protocol == 0 && !d.fwmark && hasAddrKey(d.keys) {
		ps.warn(n, "Virtual server %s: no protocol set - defaulting to UDP", d.name)
		d.protocol = api.ProtoUDP
	}
	var out []VirtualServer
	warnedPort, warnedOps := false, false
	for _, key := range d.keys {
		s := api.Service{Key: key, Scheduler: d.sched, Flags: d.flags, PE: d.pe}
		if key.FWMark == 0 {
			s.Key.Protocol = d.protocol
		} else if d.fwmark {
			s.Key.Addr = fwmarkFamily(d)
		}
		persist := d.persist
		if persist == nil && d.granularity != nil {
			t := uint32(api.DefaultPersistTimeout)
			persist = &t
		}
		if persist == nil && key.FWMark == 0 && key.Port == 0 {
			if !warnedPort {
				ps.warn(n, "Virtual server %s: zero port only valid for persistent services - setting", d.name)
				warnedPort = true
			}
			t := uint32(api.DefaultPersistTimeout)
			persist = &t
		}
		if persist != nil {
			s.Flags |= api.SvcPersistent
			s.Timeout = *persist
		}
		if d.granularity != nil {
			m, err := netmask(d.granularity, s.Key.IsIPv6())
			if err != nil {
				return nil, err
			}
			s.Netmask = m
		}
		if s.Flags&api.SvcOnePacket != 0 && s.Key.Protocol != api.ProtoUDP {
			if !warnedOps {
				ps.warn(n, "Virtual server %s: one packet scheduling requires UDP - resetting", d.name)
				warnedOps = true
			}
			s.Flags &^= api.SvcOnePacket
		}
		vs := VirtualServer{Pos: n.pos, Service: health.Service{Service: s, Hysteresis: d.hysteresis, SorryInhibit: d.sorryInhibit}}
		if err := ps.finishReals(d, &vs, key.FWMark == 0); err != nil {
			return nil, err
		}
		ps.finishQuorum(d, &vs)
		if d.sorry != nil {
			a, port, hasPort, _ := addrPortArgs(d.sorry, 0)
			if !hasPort {
				port = s.Key.Port
			}
			sd := api.Dest{Addr: a, Port: port, Weight: 1}
			m := d.sorryMethod
			if !m.set {
				m = d.method
			}
			m.apply(&sd)
			vs.Sorry = &sd
		}
		out = append(out, vs)
	}
	return out, nil
}

func hasAddrKey(keys []api.ServiceKey) bool {
	for _, k := range keys {
		if k.FWMark == 0 {
			return true
		}
	}
	return false
}

// fwmarkFamily is a fwmark service's family: ip_family, else its first
// real server's.
func fwmarkFamily(d *vsDraft) netip.Addr {
	v6 := false
	if d.v6Fwmark != nil {
		v6 = *d.v6Fwmark
	} else if len(d.reals) > 0 {
		v6 = d.reals[0].addr.Is6()
	}
	if v6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// netmask reads persistence_granularity: a netmask for IPv4, a prefix
// length for IPv6; for IPv4 the result is the mask in host byte order.
func netmask(n *node, v6 bool) (uint32, error) {
	s := n.args()[0]
	if v6 {
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil || v < 1 || v > 128 {
			return 0, errorf(n, "persistence_granularity %q: an IPv6 service needs a prefix length 1..128", s)
		}
		return uint32(v), nil
	}
	a, err := netip.ParseAddr(s)
	if err == nil && a.Is4() {
		m := binary.BigEndian.Uint32(a.AsSlice())
		if m != 0 && (^m)&(^m+1) == 0 { // contiguous ones
			return m, nil
		}
	}
	return 0, errorf(n, "persistence_granularity %q: an IPv4 service needs a netmask such as 255.255.255.0", s)
}

// finishReals turns d's real servers into vs's, with their checks.
func (ps *parser) finishReals(d *vsDraft, vs *VirtualServer, addrKey bool) error {
	key := vs.Service.Service.Key
	seen := map[netip.AddrPort]bool{}
	for _, r := range d.reals {
		dst := api.Dest{Addr: r.addr, Port: r.port, Weight: d.weight, UThreshold: r.uth, LThreshold: r.lth}
		if !r.hasPort {
			dst.Port = key.Port
		}
		if r.weight != nil {
			dst.Weight = *r.weight
		}
		m := r.method
		if !m.set {
			m = d.method
		}
		m.apply(&dst)
		if (addrKey || !key.Addr.IsUnspecified()) && dst.Addr.Is4() != key.Addr.Is4() && dst.Method != api.MethodTunnel {
			ps.warn(r.n, "real server %s: address family does not match virtual server %s - skipping", dst.Addr, keyName(key))
			continue
		}
		ap := netip.AddrPortFrom(dst.Addr, dst.Port)
		if seen[ap] {
			ps.warn(r.n, "VS %s: real server %s is duplicated - removing second rs", keyName(key), ap)
			continue
		}
		seen[ap] = true
		real := health.Real{Dest: dst, Inhibit: d.inhibit}
		if r.inhibit != nil {
			real.Inhibit = *r.inhibit
		}
		for _, cd := range r.checks {
			real.Checks = append(real.Checks, buildCheck(cd, &d.inh, &r.inh))
		}
		vs.Reals = append(vs.Reals, real)
	}
	return nil
}

// buildCheck is keepalived's default for the checker type overridden by
// the virtual server's, the real server's and the checker's own options.
func buildCheck(cd checkDraft, levels ...*inherited) health.Check {
	ch := health.DefaultCheck(cd.typ)
	for _, in := range append(levels, &cd.inh) {
		if in.delayLoop != nil {
			ch.DelayLoop = *in.delayLoop
		}
		if in.connectTimeout != nil {
			ch.ConnectTimeout = *in.connectTimeout
		}
		if in.delayBeforeRetry != nil {
			ch.DelayBeforeRetry = *in.delayBeforeRetry
		}
		if in.warmup != nil {
			ch.Warmup = *in.warmup
		}
		if in.retry != nil {
			ch.Retry = *in.retry
		}
		if in.alpha != nil {
			ch.Alpha = *in.alpha
		}
		if in.virtualhost != nil {
			ch.VirtualHost = *in.virtualhost
		}
	}
	o := cd.ch
	ch.ConnectIP, ch.ConnectPort, ch.BindTo, ch.BindPort, ch.BindIf, ch.FWMark = o.ConnectIP, o.ConnectPort, o.BindTo, o.BindPort, o.BindIf, o.FWMark
	ch.LogAllFailures, ch.URLs, ch.HTTPProtocol = o.LogAllFailures, o.URLs, o.HTTPProtocol
	ch.MiscPath, ch.MiscTimeout, ch.MiscDynamic = o.MiscPath, o.MiscTimeout, o.MiscDynamic
	if ch.Type != health.HTTPGet && ch.Type != health.SSLGet {
		ch.VirtualHost = ""
	}
	return ch
}

// finishQuorum applies quorum (default 1), reduced to the sum of the real
// servers' weights when above it.
func (ps *parser) finishQuorum(d *vsDraft, vs *VirtualServer) {
	vs.Quorum = 1
	if d.quorum != nil {
		vs.Quorum = *d.quorum
	}
	var sum int64
	for _, r := range vs.Reals {
		sum += int64(r.Dest.Weight)
	}
	if sum > 0 && int64(vs.Quorum) > sum {
		ps.warn(d.n, "Virtual server %s: quorum %d exceeds the total weight %d of the real servers - reducing", d.name, vs.Quorum, sum)
		vs.Quorum = uint32(sum)
	}
}
