package ipvsadm

import (
	"github.com/xlvs/xlvs/ctrl/api"
)

// DPVS's extensions of ipvsadm for FULLNAT, as DPVS's own ipvsadm has
// them:
//
//	-P|--add-laddr -t|-u VIP:port -z LIP [-F IFNAME]   add a local address
//	-Q|--del-laddr -t|-u VIP:port -z LIP [-F IFNAME]   delete one
//	-G|--get-laddr [-t|-u VIP:port]                    list them
//	-b in -a/-e/-d                                     --fullnat
//	--proxy-protocol v2|disable (with -A/-E)           PROXY protocol v2
//
// and xlvs' own --toa (with -A/-E): TOA is DPVS's default in FULLNAT but
// off by default here. In service commands -b keeps ipvsadm's meaning,
// --sched-flags.

// dpvsOpt is one of the DPVS options, which have no column in ipvsadm's
// matrix: their rules are checked here.
type dpvsOpt uint8

const (
	dpvsLaddr dpvsOpt = iota
	dpvsIfname
	dpvsTOA
	dpvsProxy
	numDpvsOpts
)

var dpvsOptNames = [numDpvsOpts]string{"laddr", "ifname", "toa", "proxy-protocol"}

// dpvsOpts are the DPVS options given.
type dpvsOpts uint8

func (s dpvsOpts) has(o dpvsOpt) bool { return s&(1<<o) != 0 }

// fullnatShort is -b in real-server commands.
var fullnatShort = optSpec{"fullnat", 'b', argNone, tagFullNAT}

// shortsFor returns the short option lookup for the options of cmd: in
// real-server commands -b is DPVS's --fullnat.
func shortsFor(cmd Cmd) func(byte) *optSpec {
	switch cmd {
	case CmdAddServer, CmdEditServer, CmdDelServer:
		return func(c byte) *optSpec {
			if c == 'b' {
				return &fullnatShort
			}
			return findShort(c)
		}
	}
	return nil
}

// dpvsOption handles -z, -F, --toa and --proxy-protocol.
func (p *parser) dpvsOption(r poptResult) error {
	var o dpvsOpt
	switch r.opt.tag {
	case tagLaddr:
		o = dpvsLaddr
	case tagIfname:
		o = dpvsIfname
	case tagTOA:
		o = dpvsTOA
	default:
		o = dpvsProxy
	}
	if p.dpvs.has(o) {
		return failf("multiple '%s' options specified", dpvsOptNames[o])
	}
	p.dpvs |= 1 << o
	switch o {
	case dpvsLaddr:
		a, ok := inetPton4(r.val)
		if !ok {
			a, ok = inetPton6(r.val)
		}
		if !ok {
			return failf("illegal local address specified")
		}
		p.c.Laddr.Addr = a
	case dpvsIfname:
		if r.val == "" {
			return failf("illegal ifname specified")
		}
		p.c.Laddr.Ifname = truncate(r.val, maxNameLen)
	case dpvsTOA:
		p.c.Service.ClientAddr = api.ClientAddrTOA
	case dpvsProxy:
		switch r.val {
		case "v2":
			p.c.Service.ClientAddr = api.ClientAddrProxyV2
		case "disable":
		case "v1":
			return failf("PROXY protocol v1 is not supported by xlvs: use v2")
		default:
			return failf("invalid proxy protocol `%s' specified", r.val)
		}
	}
	return nil
}

// dpvsOptCheck applies the DPVS options' rules to ipvsadm's commands:
// --toa and --proxy-protocol go with -A and -E, one of them; -z and -F
// with -P and -Q only.
func (p *parser) dpvsOptCheck() error {
	for o := dpvsOpt(0); o < numDpvsOpts; o++ {
		if !p.dpvs.has(o) {
			continue
		}
		svc := p.c.Cmd == CmdAddService || p.c.Cmd == CmdEditService
		if (o != dpvsTOA && o != dpvsProxy) || !svc {
			return failf("Illegal '%s' option with the '%s' command", dpvsOptNames[o], p.c.Cmd)
		}
	}
	if p.dpvs.has(dpvsTOA) && p.dpvs.has(dpvsProxy) {
		return failf("The option '%s' conflicts with the '%s' option in the '%s' command",
			dpvsOptNames[dpvsProxy], dpvsOptNames[dpvsTOA], p.c.Cmd)
	}
	return nil
}

// laddrOptCheck is the matrix check of -P, -Q and -G: a service is
// compulsory for -P and -Q, optional for -G; -z is compulsory for -P and
// -Q; -F is optional for them; -n is accepted by -G (addresses are always
// numeric); nothing else goes.
func (p *parser) laddrOptCheck() error {
	c := &p.c
	allowed := OptSet(1 << OptService)
	if c.Cmd == CmdGetLaddr {
		allowed |= 1 << OptNumeric
	}
	for j := Opt(0); j < numOpts; j++ {
		if c.Opts.Has(j) && allowed&(1<<j) == 0 {
			return failf("Illegal '%s' option with the '%s' command", j, c.Cmd)
		}
	}
	if c.Cmd != CmdGetLaddr && !c.Opts.Has(OptService) {
		return failf("You need to supply the '%s' option for the '%s' command", OptService, c.Cmd)
	}
	for o := dpvsOpt(0); o < numDpvsOpts; o++ {
		need := c.Cmd != CmdGetLaddr && o == dpvsLaddr
		legal := c.Cmd != CmdGetLaddr && (o == dpvsLaddr || o == dpvsIfname)
		switch {
		case need && !p.dpvs.has(o):
			return failf("You need to supply the '%s' option for the '%s' command", dpvsOptNames[o], c.Cmd)
		case p.dpvs.has(o) && !legal:
			return failf("Illegal '%s' option with the '%s' command", dpvsOptNames[o], c.Cmd)
		}
	}
	if c.Service.Key.FWMark != 0 && c.Cmd != CmdGetLaddr {
		return failf("local addresses need a -t or -u service")
	}
	return nil
}

// clientAddrText is the client address mode of a service in a listing:
// " toa" or " proxy-protocol v2" after the -L service line, " --toa" or
// " --proxy-protocol v2" in -S rules; nothing when it is off.
func clientAddrText(s *api.Service, rule bool) string {
	pre := " "
	if rule {
		pre = " --"
	}
	switch s.ClientAddr {
	case api.ClientAddrTOA:
		return pre + "toa"
	case api.ClientAddrProxyV2:
		return pre + "proxy-protocol v2"
	}
	return ""
}
