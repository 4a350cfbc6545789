package keepalived

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/xlvs/xlvs/ctrl/health"
)

// rsDraft collects a real_server block.
type rsDraft struct {
	n        *node
	addr     netip.Addr
	port     uint16
	hasPort  bool
	weight   *int32
	method   method
	uth, lth uint32
	inhibit  *bool
	inh      inherited
	checks   []checkDraft
}

// checkDraft is a checker block with its own options.
type checkDraft struct {
	n   *node
	typ health.CheckType
	inh inherited
	ch  health.Check // the options that are not inherited
}

// unsupportedCheckers are keepalived checkers xlvs does not run.
var unsupportedCheckers = map[string]bool{
	"SMTP_CHECK": true, "DNS_CHECK": true, "BFD_CHECK": true, "UDP_CHECK": true, "FILE_CHECK": true,
}

var checkerTypes = map[string]health.CheckType{
	"TCP_CHECK": health.TCPCheck, "HTTP_GET": health.HTTPGet, "SSL_GET": health.SSLGet,
	"MISC_CHECK": health.MiscCheck, "PING_CHECK": health.PingCheck,
}

// realServer reads `real_server <IPADDR> [<PORT>] { ... }`.
func (ps *parser) realServer(n *node) (*rsDraft, error) {
	r := &rsDraft{n: n}
	var err error
	if r.addr, r.port, r.hasPort, err = addrPortArgs(n, 0); err != nil {
		return nil, err
	}
	for _, c := range n.children {
		if t, ok := checkerTypes[c.keyword()]; ok {
			cd, err := ps.checker(c, t)
			if err != nil {
				return nil, err
			}
			r.checks = append(r.checks, cd)
			continue
		}
		if unsupportedCheckers[c.keyword()] {
			ps.warn(c, "%s is not supported by xlvs, the check is skipped", c.keyword())
			continue
		}
		if c.block {
			ps.warn(c, "real_server %s: unknown block '%s', skipped", r.addr, c.keyword())
			continue
		}
		if ok, err := ps.inheritedKeyword(&r.inh, c); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch c.keyword() {
		case "weight":
			var v uint64
			if v, err = uintArg(c, 0, 0, 1<<31-1); err == nil {
				w := int32(v)
				r.weight = &w
			}
		case "lvs_method":
			r.method, err = methodArg(c)
		case "uthreshold":
			var v uint64
			v, err = uintArg(c, 0, 0, 1<<32-1)
			r.uth = uint32(v)
		case "lthreshold":
			var v uint64
			v, err = uintArg(c, 0, 0, 1<<32-1)
			r.lth = uint32(v)
		case "inhibit_on_failure":
			var b bool
			b, err = boolArg(c)
			r.inhibit = &b
		case "notify_up", "notify_down", "smtp_alert", "snmp_name":
			ps.warn(c, "real_server %s: %s is not supported by xlvs, ignored", r.addr, c.keyword())
		default:
			ps.warn(c, "real_server %s: unknown keyword '%s', skipped", r.addr, c.keyword())
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checker reads a checker block.
func (ps *parser) checker(n *node, t health.CheckType) (checkDraft, error) {
	cd := checkDraft{n: n, typ: t, ch: health.Check{Type: t}}
	if err := nargs(n, 0, 0); err != nil {
		return cd, err
	}
	for _, c := range n.children {
		if ok, err := ps.inheritedKeyword(&cd.inh, c); ok || err != nil {
			if err != nil {
				return cd, err
			}
			if c.keyword() == "virtualhost" && t != health.HTTPGet && t != health.SSLGet {
				ps.warn(c, "%s: virtualhost only concerns HTTP_GET and SSL_GET, ignored", t)
			}
			continue
		}
		if err := ps.checkKeyword(&cd, c); err != nil {
			return cd, err
		}
	}
	switch {
	case (t == health.HTTPGet || t == health.SSLGet) && len(cd.ch.URLs) == 0:
		return cd, errorf(n, "%s needs at least one url block", t)
	case t == health.MiscCheck && len(cd.ch.MiscPath) == 0:
		return cd, errorf(n, "MISC_CHECK needs misc_path")
	}
	return cd, nil
}

func (ps *parser) checkKeyword(cd *checkDraft, c *node) error {
	t, ch := cd.typ, &cd.ch
	k := c.keyword()
	isHTTP, isMisc := t == health.HTTPGet || t == health.SSLGet, t == health.MiscCheck
	var err error
	switch {
	case k == "connect_ip" && !isMisc:
		ch.ConnectIP, err = addrArg(c, 0)
	case k == "connect_port" && !isMisc:
		if err = nargs(c, 1, 1); err == nil {
			ch.ConnectPort, err = portArg(c, 0)
		}
	case k == "bindto" && !isMisc:
		ch.BindTo, err = addrArg(c, 0)
	case k == "bind_port" && !isMisc:
		if err = nargs(c, 1, 1); err == nil {
			ch.BindPort, err = portArg(c, 0)
		}
	case k == "bind_if" && !isMisc:
		if err = nargs(c, 1, 1); err == nil {
			ch.BindIf = c.args()[0]
		}
	case k == "fwmark" && !isMisc:
		var v uint64
		v, err = uintArg(c, 0, 0, 1<<32-1)
		ch.FWMark = uint32(v)
	case k == "log_all_failures":
		ch.LogAllFailures, err = boolArg(c)
	case k == "url" && isHTTP:
		var u health.URL
		if u, err = ps.url(c); err == nil {
			ch.URLs = append(ch.URLs, u)
		}
	case k == "http_protocol" && isHTTP:
		if err = nargs(c, 1, 1); err == nil {
			switch v := c.args()[0]; v {
			case "1.0", "1.0C", "1.1":
				ch.HTTPProtocol = v
			default:
				err = errorf(c, "http_protocol: unknown %q (1.0, 1.0C, 1.1)", v)
			}
		}
	case k == "enable_sni" && t == health.SSLGet:
		ps.warn(c, "enable_sni: xlvs sends the virtualhost as SNI whenever one is set")
	case k == "fast_recovery" && isHTTP:
		ps.warn(c, "fast_recovery is not supported by xlvs, ignored")
	case k == "misc_path" && isMisc:
		if err = nargs(c, 1, 1); err == nil {
			ch.MiscPath = strings.Fields(c.args()[0])
		}
	case k == "misc_timeout" && isMisc:
		ch.MiscTimeout, err = timerArg(c, false)
	case k == "misc_dynamic" && isMisc:
		ch.MiscDynamic, err = boolArg(c)
	case k == "user" && isMisc:
		ps.warn(c, "MISC_CHECK user: xlvs runs check programs as its own user, ignored")
	default:
		ps.warn(c, "%s: unknown keyword '%s', skipped", t, k)
	}
	return err
}

// url reads `url { path; digest; status_code; virtualhost }`.
func (ps *parser) url(n *node) (health.URL, error) {
	var u health.URL
	if !n.block {
		return u, errorf(n, "url needs a block")
	}
	for _, c := range n.children {
		var err error
		switch c.keyword() {
		case "path":
			if err = nargs(c, 1, 1); err == nil {
				u.Path = c.args()[0]
			}
		case "digest":
			if err = nargs(c, 1, 1); err == nil {
				u.Digest = strings.ToLower(c.args()[0])
				if len(u.Digest) != 32 || strings.Trim(u.Digest, "0123456789abcdef") != "" {
					err = errorf(c, "digest %q is not an MD5 sum (32 hex digits)", c.args()[0])
				}
			}
		case "status_code":
			u.Status, err = statusRanges(c)
		case "virtualhost":
			if err = nargs(c, 1, 1); err == nil {
				u.VirtualHost = c.args()[0]
			}
		case "regex", "regex_no_match", "regex_options", "regex_min_offset", "regex_max_offset", "regex_stack":
			ps.warn(c, "url %s is not supported by xlvs, ignored", c.keyword())
		default:
			ps.warn(c, "url: unknown keyword '%s', skipped", c.keyword())
		}
		if err != nil {
			return u, err
		}
	}
	if u.Path == "" {
		return u, errorf(n, "url needs a path")
	}
	return u, nil
}

// statusRanges reads `status_code 200-299 400-499 503`.
func statusRanges(c *node) ([]health.StatusRange, error) {
	if err := nargs(c, 1, 64); err != nil {
		return nil, err
	}
	var out []health.StatusRange
	for _, a := range c.args() {
		lo, hi, isRange := strings.Cut(a, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || l < 100 || h > 599 || l > h {
			return nil, errorf(c, "status_code: invalid code or range %q (100..599)", a)
		}
		out = append(out, health.StatusRange{Lo: l, Hi: h})
	}
	return out, nil
}
