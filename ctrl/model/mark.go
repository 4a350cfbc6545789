package model

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Mark-rule errors, with the errno IPVS uses for the same kind of failure.
var (
	errMarkRuleMissing = api.NewError(api.CodeInvalid, "missing mark rule")
	errMarkRuleExists  = api.NewError(api.CodeExists, "Mark rule already exists")
	errMarkRuleUnknown = api.NewError(api.CodeNotFound, "No such mark rule")
)

// maxMarkRules bounds the mark rules: the workers scan them in order for
// every packet, and the XDP program keeps a bounded list per prefix.
const maxMarkRules = 64

// markRuleLocked adds, deletes or lists mark rules.
func (m *Model) markRuleLocked(op api.Op, r *api.MarkRule) ([]api.MarkRule, *api.Error) {
	if op == api.OpListMarkRules {
		return append([]api.MarkRule{}, m.marks...), nil
	}
	if r == nil {
		return nil, errMarkRuleMissing
	}
	rule := *r
	if err := validateMarkRule(&rule); err != nil {
		return nil, err
	}
	i := m.findMarkRule(rule)
	switch op {
	case api.OpAddMarkRule:
		if i >= 0 {
			return nil, errMarkRuleExists
		}
		if len(m.marks) >= maxMarkRules {
			return nil, api.NewError(api.CodeNoMem, "Memory allocation problem")
		}
		m.marks = append(m.marks, rule)
		m.cfg.Log.Info("mark rule added", "rule", rule.String())
	default:
		if i < 0 {
			return nil, errMarkRuleUnknown
		}
		m.marks = append(m.marks[:i], m.marks[i+1:]...)
		m.cfg.Log.Info("mark rule deleted", "rule", rule.String())
	}
	return nil, nil
}

// validateMarkRule checks a rule and puts its prefix in canonical form.
func validateMarkRule(r *api.MarkRule) *api.Error {
	invalid := api.NewError(api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
	if r.Mark == 0 || !r.Prefix.IsValid() || r.PortFrom > r.PortTo {
		return invalid
	}
	switch r.Protocol {
	case 0, api.ProtoTCP, api.ProtoUDP, api.ProtoSCTP:
	default:
		return invalid
	}
	p := r.Prefix
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return invalid
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	r.Prefix = p.Masked()
	return nil
}

func (m *Model) findMarkRule(r api.MarkRule) int {
	for i, o := range m.marks {
		if o == r {
			return i
		}
	}
	return -1
}

// compileMarks converts the rules to their snapshot form.
func (m *Model) compileMarks() []snapshot.MarkRule {
	out := make([]snapshot.MarkRule, 0, len(m.marks))
	for _, r := range m.marks {
		sr := snapshot.MarkRule{
			Mark: r.Mark, Proto: uint8(r.Protocol), Family: 6,
			Addr: r.Prefix.Addr().As16(), Bits: uint8(r.Prefix.Bits()),
			PortFrom: r.PortFrom, PortTo: r.PortTo,
		}
		if r.Prefix.Addr().Is4() {
			sr.Family, sr.Bits = 4, uint8(96+r.Prefix.Bits())
		}
		out = append(out, sr)
	}
	return out
}
