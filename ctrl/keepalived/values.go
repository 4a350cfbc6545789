package keepalived

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// p is the state of one Load: warnings so far.
type parser struct {
	warnings []Warning
	groups   map[string]*group
}

func (ps *parser) warn(n *node, format string, args ...any) {
	ps.warnings = append(ps.warnings, Warning{Pos: n.pos, Msg: fmt.Sprintf(format, args...)})
}

func errorf(n *node, format string, args ...any) error {
	return &Error{Pos: n.pos, Msg: fmt.Sprintf(format, args...)}
}

// nargs checks that n has between min and max arguments.
func nargs(n *node, min, max int) error {
	a := len(n.args())
	switch {
	case a < min && min == max:
		return errorf(n, "%s needs %d value(s)", n.keyword(), min)
	case a < min:
		return errorf(n, "%s needs at least %d value(s)", n.keyword(), min)
	case a > max:
		return errorf(n, "%s takes at most %d value(s), got %d", n.keyword(), max, a)
	}
	return nil
}

// noBlock refuses a block after a keyword that takes none.
func noBlock(n *node) error {
	if n.block {
		return errorf(n, "%s takes no block", n.keyword())
	}
	return nil
}

// uintArg parses argument i of n as an integer in lo..hi.
func uintArg(n *node, i int, lo, hi uint64) (uint64, error) {
	if err := nargs(n, i+1, i+1); err != nil {
		return 0, err
	}
	s := n.args()[i]
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, errorf(n, "%s: invalid value %q (must be an integer %d..%d)", n.keyword(), s, lo, hi)
	}
	return v, nil
}

// timerArg parses a keepalived TIMER: seconds, fractions allowed, to the
// microsecond.
func timerArg(n *node, allowZero bool) (time.Duration, error) {
	if err := nargs(n, 1, 1); err != nil {
		return 0, err
	}
	s := n.args()[0]
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1e9 || (v == 0 && !allowZero) {
		return 0, errorf(n, "%s: invalid time %q (seconds, fractions allowed)", n.keyword(), s)
	}
	return time.Duration(math.Round(v*1e6)) * time.Microsecond, nil
}

// boolArg parses an optional <BOOL> (absent: true).
func boolArg(n *node) (bool, error) {
	if err := nargs(n, 0, 1); err != nil {
		return false, err
	}
	if len(n.args()) == 0 {
		return true, nil
	}
	switch strings.ToLower(n.args()[0]) {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, errorf(n, "%s: invalid boolean %q (on|off|true|false|yes|no)", n.keyword(), n.args()[0])
}

func addrArg(n *node, i int) (netip.Addr, error) {
	if len(n.args()) <= i {
		return netip.Addr{}, errorf(n, "%s needs an address", n.keyword())
	}
	a, err := netip.ParseAddr(n.args()[i])
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errorf(n, "%s: invalid address %q", n.keyword(), n.args()[i])
	}
	return a.Unmap(), nil
}

func portArg(n *node, i int) (uint16, error) {
	v, err := strconv.ParseUint(n.args()[i], 10, 16)
	if err != nil {
		return 0, errorf(n, "%s: invalid port %q (0..65535)", n.keyword(), n.args()[i])
	}
	return uint16(v), nil
}

// addrPortArgs parses "<IPADDR> [<PORT>]" from argument i on; hasPort
// reports whether a port was given.
func addrPortArgs(n *node, i int) (a netip.Addr, port uint16, hasPort bool, err error) {
	if err = nargs(n, i+1, i+2); err != nil {
		return
	}
	if a, err = addrArg(n, i); err != nil {
		return
	}
	if len(n.args()) == i+2 {
		port, err = portArg(n, i+1)
		hasPort = true
	}
	return
}
