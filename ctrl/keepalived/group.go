package keepalived

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/xlvs/xlvs/ctrl/api"
)

// maxGroupMembers bounds what one virtual_server_group may expand to (the
// director holds at most 4096 services).
const maxGroupMembers = 4096

// group is a virtual_server_group: addresses with ports, and fwmarks.
type group struct {
	pos     Pos
	members []groupMember
}

type groupMember struct {
	addr   netip.Addr // zero for a fwmark
	port   uint16
	fwmark uint32
	v6     bool // fwmark family
}

// group reads `virtual_server_group NAME { <IP>[-<IP>|/<len>|-<n>] [<PORT>] ; fwmark N [inet|inet6] }`.
func (ps *parser) group(n *node) error {
	if err := nargs(n, 1, 1); err != nil {
		return err
	}
	if !n.block {
		return errorf(n, "virtual_server_group %s needs a block", n.args()[0])
	}
	name := n.args()[0]
	if g, dup := ps.groups[name]; dup {
		return errorf(n, "virtual_server_group %s is already defined at %s", name, g.pos)
	}
	g := &group{pos: n.pos}
	for _, c := range n.children {
		if c.block {
			return errorf(c, "unexpected block in virtual_server_group %s", name)
		}
		if c.keyword() == "fwmark" {
			v, err := uintArg(&node{pos: c.pos, words: c.words[:2]}, 0, 1, 1<<32-1)
			if err != nil || len(c.args()) > 2 {
				return errorf(c, "fwmark entry must be: fwmark <1..4294967295> [inet|inet6]")
			}
			m := groupMember{fwmark: uint32(v)}
			if len(c.args()) == 2 {
				switch c.args()[1] {
				case "inet":
				case "inet6":
					m.v6 = true
				default:
					return errorf(c, "fwmark %d: unknown family %q (inet, inet6)", v, c.args()[1])
				}
			}
			g.members = append(g.members, m)
			continue
		}
		if len(c.words) > 2 {
			return errorf(c, "group entry must be: <address or range> [<port>]")
		}
		addrs, err := addrRange(c, c.words[0])
		if err != nil {
			return err
		}
		var port uint16
		if len(c.words) == 2 {
			if port, err = portArg(&node{pos: c.pos, words: append([]string{"group entry"}, c.words...)}, 1); err != nil {
				return err
			}
		}
		for _, a := range addrs {
			g.members = append(g.members, groupMember{addr: a, port: port})
		}
		if len(g.members) > maxGroupMembers {
			return errorf(c, "virtual_server_group %s has more than %d members", name, maxGroupMembers)
		}
	}
	if len(g.members) == 0 {
		return errorf(n, "virtual_server_group %s has no entries", name)
	}
	ps.groups[name] = g
	return nil
}

// addrRange expands 192.168.200.3-10 (last byte; last group for IPv6),
// 192.168.200.250-192.168.201.10 and 192.168.202.8/29.
func addrRange(n *node, s string) ([]netip.Addr, error) {
	bad := func() ([]netip.Addr, error) {
		return nil, errorf(n, "invalid address or range %q", s)
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		bits := p.Addr().BitLen() - p.Bits()
		if bits > 12 {
			return nil, errorf(n, "range %s has more than %d addresses", s, maxGroupMembers)
		}
		return expand(p.Addr(), 1<<bits), nil
	}
	from, to, isRange := strings.Cut(s, "-")
	first, err := netip.ParseAddr(from)
	if err != nil || first.Zone() != "" {
		return bad()
	}
	first = first.Unmap()
	if !isRange {
		return []netip.Addr{first}, nil
	}
	var last netip.Addr
	if strings.ContainsAny(to, ".:") {
		if last, err = netip.ParseAddr(to); err != nil || last.Is4() != first.Is4() {
			return bad()
		}
	} else {
		b := first.AsSlice()
		if first.Is4() {
			v, err := strconv.ParseUint(to, 10, 8)
			if err != nil {
				return bad()
			}
			b[3] = byte(v)
		} else {
			v, err := strconv.ParseUint(to, 16, 16)
			if err != nil {
				return bad()
			}
			b[14], b[15] = byte(v>>8), byte(v)
		}
		last, _ = netip.AddrFromSlice(b)
	}
	n0, n1 := new(big.Int).SetBytes(first.AsSlice()), new(big.Int).SetBytes(last.AsSlice())
	d := new(big.Int).Sub(n1, n0)
	if d.Sign() < 0 {
		return nil, errorf(n, "range %q ends before it starts", s)
	}
	if d.Cmp(big.NewInt(maxGroupMembers)) >= 0 {
		return nil, errorf(n, "range %s has more than %d addresses", s, maxGroupMembers)
	}
	return expand(first, int(d.Int64())+1), nil
}

func expand(a netip.Addr, count int) []netip.Addr {
	out := make([]netip.Addr, 0, count)
	for range count {
		out = append(out, a)
		a = a.Next()
	}
	return out
}

// keyName names a service key in messages as keepalived does ("[ip]:proto:port").
func keyName(k api.ServiceKey) string {
	if k.FWMark != 0 {
		return "FWM " + strconv.FormatUint(uint64(k.FWMark), 10)
	}
	p := "TCP"
	switch k.Protocol {
	case api.ProtoUDP:
		p = "UDP"
	case api.ProtoSCTP:
		p = "SCTP"
	}
	return "[" + k.Addr.String() + "]:" + p + ":" + strconv.Itoa(int(k.Port))
}
