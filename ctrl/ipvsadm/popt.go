package ipvsadm

// poptErr is a popt error code; its text is what poptStrerror prints.
type poptErr uint8

const (
	poptOK poptErr = iota
	poptBadOpt
	poptNoArg
	poptUnwantedArg
)

func (e poptErr) String() string {
	switch e {
	case poptBadOpt:
		return "unknown option"
	case poptNoArg:
		return "missing argument"
	case poptUnwantedArg:
		return "option does not take an argument"
	}
	return ""
}

// popt walks argv the way libpopt's poptGetNextOpt does for ipvsadm's
// table (no aliases, no ONEDASH options, no POSIXLY_CORRECT):
//
//   - "--name" and "--name=value" are long options (exact names only);
//   - "-xyz" is a bundle of short options; an option taking a value takes
//     the rest of the bundle ("-p600", "-p=600") or else the next argument,
//     even when that argument starts with '-', except for options with an
//     optional value, which then get none;
//   - "-" and words not starting with '-' are leftovers, collected for
//     [popt.arg]; "--" makes every later word a leftover.
type popt struct {
	args      []string
	next      int    // index of the next unread argument
	chars     string // rest of a short-option bundle
	inBundle  bool   // chars is live (it may be empty: "-n=" leaves "")
	restLeft  bool   // "--" seen
	leftovers []string
	nextLeft  int
	shorts    func(byte) *optSpec // short option lookup; nil: findShort
}

// poptResult is one option returned by [popt.nextOpt].
type poptResult struct {
	opt    *optSpec
	val    string // the option's value
	hasVal bool   // false for argNone, and for an absent optional value
}

// nextOpt returns the next option. done reports the end of argv; err a popt
// error, whose offending word is [popt.badOption].
func (p *popt) nextOpt() (r poptResult, done bool, err poptErr) {
	var longVal string
	hasLongVal := false
	for {
		if !p.inBundle && p.next == len(p.args) {
			return r, true, poptOK
		}
		if !p.inBundle {
			word := p.args[p.next]
			p.next++
			if p.restLeft || word == "" || word[0] != '-' || word == "-" {
				p.leftovers = append(p.leftovers, word)
				continue
			}
			if word == "--" {
				p.restLeft = true
				continue
			}
			if word[1] != '-' {
				// No option of ipvsadm is a one-dash long option:
				// the word is a bundle of short options.
				p.chars, p.inBundle = word[1:], true
			} else {
				name := word[2:]
				for i := 0; i < len(name); i++ {
					if name[i] == '=' {
						longVal, hasLongVal = name[i+1:], true
						name = name[:i]
						break
					}
				}
				r.opt = findLong(name)
				if r.opt == nil {
					return r, false, poptBadOpt
				}
			}
		}
		if p.inBundle {
			var c byte
			rest := ""
			if p.chars != "" {
				c, rest = p.chars[0], p.chars[1:]
			}
			p.inBundle = false
			if p.shorts != nil {
				r.opt = p.shorts(c)
			} else {
				r.opt = findShort(c)
			}
			if r.opt == nil {
				return r, false, poptBadOpt
			}
			if rest != "" {
				p.chars, p.inBundle = rest, true
				if rest[0] == '=' {
					p.chars = rest[1:]
				}
			}
		}
		return p.value(r, longVal, hasLongVal)
	}
}

// value fetches the value of r.opt, if it takes one.
func (p *popt) value(r poptResult, longVal string, hasLongVal bool) (poptResult, bool, poptErr) {
	if r.opt.arg == argNone {
		if hasLongVal || (p.inBundle && p.chars != "" && p.chars[0] == '=') {
			return r, false, poptUnwantedArg
		}
		return r, false, poptOK
	}
	switch {
	case hasLongVal:
		r.val, r.hasVal = longVal, true
	case p.inBundle:
		v := p.chars
		if v != "" && v[0] == '=' {
			v = v[1:]
		}
		r.val, r.hasVal = v, true
		p.chars, p.inBundle = "", false
	case p.next == len(p.args):
		if r.opt.arg != argOptional {
			return r, false, poptNoArg
		}
	case r.opt.arg == argOptional && p.args[p.next] != "" && p.args[p.next][0] == '-':
		// An optional value never starts with '-'.
	default:
		r.val, r.hasVal = p.args[p.next], true
		p.next++
	}
	return r, false, poptOK
}

// badOption is poptBadOption(con, POPT_BADOPTION_NOALIAS): the last
// argument word popt consumed.
func (p *popt) badOption() string {
	if p.next == 0 {
		return ""
	}
	return p.args[p.next-1]
}

// arg returns the next leftover argument (poptGetArg).
func (p *popt) arg() (string, bool) {
	if p.nextLeft < len(p.leftovers) {
		p.nextLeft++
		return p.leftovers[p.nextLeft-1], true
	}
	return "", false
}
