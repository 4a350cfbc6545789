package bpf

import (
	"fmt"
	"net/netip"
)

// MarkRule is a mark rule as the steering program sees it: packets of
// Proto (0: TCP, UDP and SCTP) to an address in Prefix and a destination
// port in PortFrom..PortTo match; Steer says whether the rule's mark has a
// firewall-mark service, so that the matching packets go to userspace even
// when their destination is no VIP. Rules apply in order: the first one
// that matches a packet decides, as the workers' mark assignment does.
type MarkRule struct {
	Proto    uint8
	Prefix   netip.Prefix // IPv4, IPv4-mapped (treated as IPv4) or IPv6
	PortFrom uint16
	PortTo   uint16
	Steer    bool
}

// SetMarkRules makes the program apply exactly rules. For every distinct
// prefix it stores, in rule order, the rules that can match an address
// whose longest matching rule prefix it is (its own and those of the
// shorter prefixes containing it), so one longest-prefix lookup finds them
// all. More than MaxMarkRules rules for one prefix, or more than
// MaxMarkPrefixes prefixes, is ErrCapacity. While it runs, a packet may
// see a mix of the old and new rules for different prefixes.
func (s *Steering) SetMarkRules(rules []MarkRule) error {
	want, err := markSets(rules)
	if err != nil {
		return fmt.Errorf("set mark rules: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	// Count first when growing, last when shrinking, so that the trie is
	// never skipped while it holds prefixes that must steer.
	n := uint32(len(want))
	if err := s.objs.MarkCount.Update(uint32(0), max(n, s.markCountLocked()), 0); err != nil {
		return fmt.Errorf("set mark rules: count: %w", err)
	}
	if err := replaceAll(s.objs.MarkPrefixes, want); err != nil {
		return fmt.Errorf("set mark rules: %w", err)
	}
	if err := s.objs.MarkCount.Update(uint32(0), n, 0); err != nil {
		return fmt.Errorf("set mark rules: count: %w", err)
	}
	return nil
}

func (s *Steering) markCountLocked() uint32 {
	var n uint32
	if err := s.objs.MarkCount.Lookup(uint32(0), &n); err != nil {
		return 0
	}
	return n
}

// markPrefix returns r's prefix in the program's 16-byte form.
func markPrefix(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("prefix %v: %w", p, ErrAddress)
	}
	a, bits := p.Addr().WithZone(""), p.Bits()
	if a.Is4() {
		a, bits = netip.AddrFrom16(a.As16()), bits+96
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// markSets flattens rules into the trie's entries.
func markSets(rules []MarkRule) (map[steerMarkKey]steerMarkRules, error) {
	prefixes := make([]netip.Prefix, len(rules))
	for i, r := range rules {
		switch r.Proto {
		case 0, ProtoTCP, ProtoUDP, ProtoSCTP:
		default:
			return nil, fmt.Errorf("rule %d protocol %d: %w", i, r.Proto, ErrProtocol)
		}
		p, err := markPrefix(r.Prefix)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		prefixes[i] = p
	}
	want := make(map[steerMarkKey]steerMarkRules)
	for _, p := range prefixes {
		k := steerMarkKey{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As16()}
		if _, done := want[k]; done {
			continue
		}
		var v steerMarkRules
		for i, r := range rules {
			q := prefixes[i]
			if q.Bits() > p.Bits() || !q.Contains(p.Addr()) {
				continue
			}
			if v.Count == MaxMarkRules {
				return nil, fmt.Errorf("prefix %v: more than %d rules apply: %w", p, MaxMarkRules, ErrCapacity)
			}
			e := &v.Rule[v.Count]
			e.Proto, e.PortFrom, e.PortTo = r.Proto, r.PortFrom, r.PortTo
			if r.Steer {
				e.Steer = 1
			}
			v.Count++
		}
		want[k] = v
	}
	if len(want) > MaxMarkPrefixes {
		return nil, fmt.Errorf("%d prefixes, room for %d: %w", len(want), MaxMarkPrefixes, ErrCapacity)
	}
	return want, nil
}
