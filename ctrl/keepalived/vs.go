package keepalived

import (
	"net/netip"
	"strings"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// schedulers are the names keepalived accepts for lb_algo/lvs_sched.
var schedulers = map[string]bool{
	"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "sh": true, "mh": true, "dh": true,
	"fo": true, "ovf": true, "lblcr": true, "sed": true, "nq": true, "twos": true,
}

// inherited are the check options a virtual or real server passes down
// to its checkers; nil: not set at that level.
type inherited struct {
	delayLoop, connectTimeout, delayBeforeRetry, warmup *time.Duration
	retry                                               *int
	alpha                                               *bool
	virtualhost                                         *string
}

// method is a forwarding method with its tunnel options.
type method struct {
	m                api.Method
	tunType, tunFlag uint8
	tunPort          uint16
	set              bool
}

// vsDraft collects a virtual_server block before it becomes services.
type vsDraft struct {
	n            *node
	name         string
	keys         []api.ServiceKey
	fwmark       bool
	v6Fwmark     *bool // ip_family
	sched        string
	method       method
	persist      *uint32
	granularity  *node
	pe           string
	flags        uint32
	protocol     uint16
	inh          inherited
	inhibit      bool
	weight       int32
	sorry        *node
	sorryInhibit bool
	sorryMethod  method
	quorum       *uint32
	hysteresis   uint32
	reals        []*rsDraft
}

// virtualServer reads one virtual_server block; a group gives one
// service per member.
func (ps *parser) virtualServer(n *node) ([]VirtualServer, error) {
	if !n.block {
		return nil, errorf(n, "virtual_server needs a block")
	}
	d := &vsDraft{n: n, weight: 1, name: strings.Join(n.args(), " ")}
	if err := ps.vsHeader(d); err != nil {
		return nil, err
	}
	for _, c := range n.children {
		if err := ps.vsKeyword(d, c); err != nil {
			return nil, err
		}
	}
	return ps.finishVS(d)
}

// vsHeader reads `<IPADDR> [<PORT>]`, `fwmark <N>` or `group <NAME>`.
func (ps *parser) vsHeader(d *vsDraft) error {
	n := d.n
	if err := nargs(n, 1, 2); err != nil {
		return err
	}
	switch n.args()[0] {
	case "fwmark":
		v, err := uintArg(n, 1, 1, 1<<32-1)
		if err != nil {
			return err
		}
		d.fwmark = true
		d.keys = []api.ServiceKey{{FWMark: uint32(v)}}
	case "group":
		if len(n.args()) != 2 {
			return errorf(n, "virtual_server group needs a group name")
		}
		g := ps.groups[n.args()[1]]
		if g == nil {
			return errorf(n, "virtual_server_group %s is not defined", n.args()[1])
		}
		for _, m := range g.members {
			if m.fwmark != 0 {
				a := netip.IPv4Unspecified()
				if m.v6 {
					a = netip.IPv6Unspecified()
				}
				d.keys = append(d.keys, api.ServiceKey{FWMark: m.fwmark, Addr: a})
			} else {
				d.keys = append(d.keys, api.ServiceKey{Addr: m.addr, Port: m.port})
			}
		}
	default:
		a, port, _, err := addrPortArgs(n, 0)
		if err != nil {
			return err
		}
		d.keys = []api.ServiceKey{{Addr: a, Port: port}}
	}
	return nil
}

func (ps *parser) vsKeyword(d *vsDraft, c *node) error {
	k := c.keyword()
	if k == "real_server" {
		r, err := ps.realServer(c)
		if err != nil {
			return err
		}
		d.reals = append(d.reals, r)
		return nil
	}
	if c.block {
		if k == "quorum_up" || k == "quorum_down" {
			return errorf(c, "%s takes no block", k)
		}
		ps.warn(c, "virtual_server %s: unknown block '%s', skipped", d.name, k)
		return nil
	}
	if ok, err := ps.inheritedKeyword(&d.inh, c); ok || err != nil {
		return err
	}
	var err error
	switch k {
	case "lb_algo", "lvs_sched":
		if err = nargs(c, 1, 1); err == nil {
			if !schedulers[c.args()[0]] {
				return errorf(c, "invalid lvs_scheduler '%s'", c.args()[0])
			}
			d.sched = c.args()[0]
		}
	case "lb_kind", "lvs_method":
		d.method, err = methodArg(c)
	case "persistence_timeout":
		var v uint64 = api.DefaultPersistTimeout
		if len(c.args()) > 0 {
			v, err = uintArg(c, 0, 1, 2678400)
		}
		t := uint32(v)
		d.persist = &t
	case "persistence_granularity":
		err = nargs(c, 1, 1)
		d.granularity = c
	case "persistence_engine":
		if err = nargs(c, 1, 1); err == nil {
			d.pe = c.args()[0]
		}
	case "protocol":
		err = ps.protocol(d, c)
	case "inhibit_on_failure":
		d.inhibit, err = boolArg(c)
	case "weight":
		var v uint64
		v, err = uintArg(c, 0, 1, 1<<31-1)
		d.weight = int32(v)
	case "sorry_server":
		_, _, _, err = addrPortArgs(c, 0)
		d.sorry = c
	case "sorry_server_inhibit":
		d.sorryInhibit, err = boolArg(c)
	case "sorry_server_lvs_method":
		d.sorryMethod, err = methodArg(c)
	case "quorum":
		var v uint64
		v, err = uintArg(c, 0, 1, 1<<32-1)
		q := uint32(v)
		d.quorum = &q
	case "hysteresis":
		var v uint64
		v, err = uintArg(c, 0, 0, 1<<32-1)
		d.hysteresis = uint32(v)
	case "ip_family":
		if err = nargs(c, 1, 1); err == nil {
			switch c.args()[0] {
			case "inet", "inet6":
				v6 := c.args()[0] == "inet6"
				d.v6Fwmark = &v6
			default:
				return errorf(c, "ip_family: unknown family %q (inet, inet6)", c.args()[0])
			}
		}
	case "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback", "ops":
		err = ps.schedFlag(d, c)
	case "hashed":
		ps.warn(c, "hashed is the kernel's internal flag, ignored")
	case "omega", "ha_suspend", "quorum_up", "quorum_down", "smtp_alert", "snmp_name":
		ps.warn(c, "virtual_server %s: %s is not supported by xlvs, ignored", d.name, k)
	default:
		ps.warn(c, "virtual_server %s: unknown keyword '%s', skipped", d.name, k)
	}
	return err
}

// inheritedKeyword reads the check options servers pass to checkers.
func (ps *parser) inheritedKeyword(in *inherited, c *node) (bool, error) {
	var err error
	switch c.keyword() {
	case "delay_loop":
		in.delayLoop, err = durPtr(timerArg(c, false))
	case "connect_timeout":
		in.connectTimeout, err = durPtr(timerArg(c, false))
	case "delay_before_retry":
		in.delayBeforeRetry, err = durPtr(timerArg(c, true))
	case "warmup":
		in.warmup, err = durPtr(timerArg(c, true))
	case "retry", "nb_get_retry":
		if c.keyword() == "nb_get_retry" {
			ps.warn(c, "nb_get_retry is deprecated - please use 'retry'")
		}
		var v uint64
		v, err = uintArg(c, 0, 0, 1<<32-1)
		r := int(v)
		in.retry = &r
	case "alpha":
		var b bool
		b, err = boolArg(c)
		in.alpha = &b
	case "virtualhost":
		if err = nargs(c, 1, 1); err == nil {
			in.virtualhost = &c.args()[0]
		}
	default:
		return false, nil
	}
	return true, err
}

func durPtr(d time.Duration, err error) (*time.Duration, error) { return &d, err }

// protocol reads `protocol TCP|UDP|SCTP`.
func (ps *parser) protocol(d *vsDraft, c *node) error {
	if err := nargs(c, 1, 1); err != nil {
		return err
	}
	switch strings.ToUpper(c.args()[0]) {
	case "TCP":
		d.protocol = api.ProtoTCP
	case "UDP":
		d.protocol = api.ProtoUDP
	case "SCTP":
		d.protocol = api.ProtoSCTP
	default:
		return errorf(c, "unknown protocol %q (TCP, UDP, SCTP)", c.args()[0])
	}
	if d.fwmark {
		ps.warn(c, "virtual server %s: protocol is ignored for a fwmark service", d.name)
	}
	return nil
}

// schedFlag reads flag-N, sh-*, mh-* and ops.
func (ps *parser) schedFlag(d *vsDraft, c *node) error {
	if err := nargs(c, 0, 0); err != nil {
		return err
	}
	switch k := c.keyword(); k {
	case "flag-1":
		d.flags |= api.SvcSched1
	case "flag-2":
		d.flags |= api.SvcSched2
	case "flag-3":
		d.flags |= api.SvcSched3
	case "ops":
		d.flags |= api.SvcOnePacket
	default:
		if !strings.HasPrefix(k, d.sched+"-") {
			ps.warn(c, "%s needs lvs_sched %s set before it, ignored", k, k[:2])
			return nil
		}
		if strings.HasSuffix(k, "-port") {
			d.flags |= api.SvcSched2
		} else {
			d.flags |= api.SvcSched1
		}
	}
	return nil
}

// methodArg reads `NAT | DR | TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`.
func methodArg(c *node) (method, error) {
	if err := nargs(c, 1, 6); err != nil {
		return method{}, err
	}
	a := c.args()
	m := method{set: true}
	switch a[0] {
	case "NAT":
		m.m = api.MethodMasq
	case "DR":
		m.m = api.MethodRoute
	case "TUN":
		m.m = api.MethodTunnel
	default:
		return method{}, errorf(c, "unknown [%s] routing method (NAT, DR or TUN)", a[0])
	}
	if len(a) > 1 && m.m != api.MethodTunnel {
		return method{}, errorf(c, "%s takes no options", a[0])
	}
	rest := a[1:]
	if len(rest) > 0 && rest[0] == "type" {
		if len(rest) < 2 {
			return method{}, errorf(c, "TUN type needs ipip, gue or gre")
		}
		switch rest[1] {
		case "ipip":
			m.tunType, rest = api.TunIPIP, rest[2:]
		case "gre":
			m.tunType, rest = api.TunGRE, rest[2:]
		case "gue":
			if len(rest) < 4 || rest[2] != "port" {
				return method{}, errorf(c, "gue tunnels require port")
			}
			p, err := portArg(&node{pos: c.pos, words: append([]string{"TUN gue"}, rest...)}, 3)
			if err != nil || p == 0 {
				return method{}, errorf(c, "gue port must be 1..65535")
			}
			m.tunType, m.tunPort, rest = api.TunGUE, p, rest[4:]
		default:
			return method{}, errorf(c, "unknown tunnel type %q (ipip, gue, gre)", rest[1])
		}
	}
	if len(rest) > 0 {
		switch rest[0] {
		case "nocsum":
		case "csum":
			if m.tunType == api.TunIPIP {
				return method{}, errorf(c, "ipip tunnels cannot take csum")
			}
			m.tunFlag = 1
		case "remcsum":
			if m.tunType != api.TunGUE {
				return method{}, errorf(c, "remcsum needs a gue tunnel")
			}
			m.tunFlag = 2
		default:
			return method{}, errorf(c, "unknown tunnel option %q", rest[0])
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return method{}, errorf(c, "unexpected %q", rest[0])
	}
	return m, nil
}

// apply sets d's method on a real server.
func (m method) apply(dst *api.Dest) {
	dst.Method = m.m
	if m.m == api.MethodTunnel {
		dst.TunType, dst.TunPort, dst.TunFlags = m.tunType, m.tunPort, uint16(m.tunFlag)
	}
}
