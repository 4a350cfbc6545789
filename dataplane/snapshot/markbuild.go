package snapshot

import (
	"errors"
	"fmt"
)

// ErrMarkRule is returned by Build for a mark rule that is not one: mark
// 0, a bad prefix or an empty port range.
var ErrMarkRule = errors.New("invalid mark rule")

// compileMarks copies the rules, computes their masks and resolves the
// firewall-mark service of each (same mark, same family).
func (s *Snapshot) compileMarks(rules []MarkRule) error {
	if len(rules) == 0 {
		return nil
	}
	s.Marks = make([]MarkRule, len(rules))
	for i, r := range rules {
		if r.Mark == 0 || r.Bits > 128 || r.PortFrom > r.PortTo || (r.Family != 4 && r.Family != 6) ||
			(r.Family == 4 && r.Bits < 96) {
			return fmt.Errorf("rule %d (mark %d): %w", i, r.Mark, ErrMarkRule)
		}
		for b := 0; b < int(r.Bits); b++ {
			r.mask[b/8] |= 0x80 >> (b % 8)
		}
		for j := range r.Addr {
			r.Addr[j] &= r.mask[j]
		}
		r.svc = -1
		for j := range s.Services {
			svc := &s.Services[j]
			if svc.FWMark == r.Mark && svc.Family == r.Family {
				r.svc = int32(j)
				break
			}
		}
		s.Marks[i] = r
	}
	return nil
}
