package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/bpf"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Mark rules on the command line: --mark 'PROTO PREFIX PORTS MARK', e.g.
//
//	--mark 'tcp 198.18.0.100/32 80,443 1'   # HTTP and HTTPS of a VIP: firewall mark 1
//	--mark 'udp 198.18.0.0/24 10000-10999 2' # a port range of a subnet: mark 2
//	--mark 'all 2001:db8::/64 1-65535 3'     # every TCP/UDP/SCTP port of a prefix
//
// PROTO is tcp, udp, sctp or all; PREFIX is an address or a prefix (an
// address alone is /32 or /128); PORTS is a comma-separated list of ports
// and from-to ranges; MARK is 1..4294967295. Each port item becomes one
// rule, in the order given; the first rule that matches a packet marks it.

// errMarkSyntax is wrapped by every --mark parse error.
var errMarkSyntax = errors.New("want 'PROTO PREFIX PORTS MARK', e.g. 'tcp 198.18.0.100/32 80,443 1'")

// parseMark parses one --mark value into its rules.
func parseMark(s string) ([]api.MarkRule, error) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return nil, fmt.Errorf("mark %q: %w", s, errMarkSyntax)
	}
	var proto uint16
	switch strings.ToLower(f[0]) {
	case "tcp":
		proto = api.ProtoTCP
	case "udp":
		proto = api.ProtoUDP
	case "sctp":
		proto = api.ProtoSCTP
	case "all":
	default:
		return nil, fmt.Errorf("mark %q: protocol %q is not tcp, udp, sctp or all", s, f[0])
	}
	prefix, err := parsePrefix(f[1])
	if err != nil {
		return nil, fmt.Errorf("mark %q: %w", s, err)
	}
	mark, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil || mark == 0 {
		return nil, fmt.Errorf("mark %q: mark %q is not 1..4294967295", s, f[3])
	}
	var rules []api.MarkRule
	for _, item := range strings.Split(f[2], ",") {
		from, to, err := parsePortRange(item)
		if err != nil {
			return nil, fmt.Errorf("mark %q: %w", s, err)
		}
		rules = append(rules, api.MarkRule{Mark: uint32(mark), Protocol: proto, Prefix: prefix, PortFrom: from, PortTo: to})
	}
	return rules, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("prefix %q: %w", s, err)
	}
	return p.Masked(), nil
}

func parsePortRange(s string) (from, to uint16, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || a == 0 || b < a {
		return 0, 0, fmt.Errorf("ports %q: want a port 1..65535 or a range from-to", s)
	}
	return uint16(a), uint16(b), nil
}

// addMarks gives the --mark rules to the model, which validates them and
// publishes them with the next snapshot.
func (d *daemon) addMarks(rules []api.MarkRule) error {
	for i := range rules {
		if resp := d.model.Do(&api.Request{Op: api.OpAddMarkRule, MarkRule: &rules[i]}); resp.Err != nil {
			return fmt.Errorf("--mark %s: %w", rules[i], resp.Err)
		}
	}
	return nil
}

// publishMarks hands the snapshot's mark rules to the XDP program: a rule
// steers when its mark has a firewall-mark service of its family.
func (d *daemon) publishMarks(s *snapshot.Snapshot) {
	rules := make([]bpf.MarkRule, 0, len(s.Marks))
	for i := range s.Marks {
		r := &s.Marks[i]
		p := netip.PrefixFrom(netip.AddrFrom16(r.Addr), int(r.Bits))
		rules = append(rules, bpf.MarkRule{Proto: r.Proto, Prefix: p, PortFrom: r.PortFrom, PortTo: r.PortTo, Steer: r.Service(s) != nil})
	}
	if err := d.steer.SetMarkRules(rules); err != nil {
		d.log.Error("update XDP mark rules", "err", err)
	}
}
