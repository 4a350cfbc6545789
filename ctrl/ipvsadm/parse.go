package ipvsadm

import (
	"math"
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Address families as ipvsadm keeps them (0 until a service is given).
const (
	afUnspec = 0
	afInet   = 2
	afInet6  = 10
)

// Parse parses one ipvsadm command line (args excludes argv[0]; prog is the
// program name used in messages) with the system's name databases. Errors
// are *ParseError, carrying ipvsadm's message and exit code.
func Parse(prog string, args []string) (*Command, error) {
	return ParseWith(prog, args, SystemNames())
}

// ParseWith is [Parse] with the given name resolver. An empty args is
// ipvsadm's bare invocation, a plain -L.
func ParseWith(prog string, args []string, names Names) (*Command, error) {
	if len(args) == 0 {
		return &Command{Cmd: CmdList}, nil
	}
	p := &parser{prog: prog, names: names}
	p.c.Dest.Weight = 1
	p.c.Dest.Method = api.MethodRoute
	p.c.Service.Netmask = defaultNetmask
	if err := p.parseOptions(args); err != nil {
		return nil, err
	}
	if p.c.Cmd == CmdHelp || p.c.Cmd == CmdVersion {
		return &p.c, nil
	}
	if err := p.processOptions(); err != nil {
		return nil, err
	}
	p.c.Service.Key = p.serviceKey()
	return &p.c, nil
}

// parser holds ipvsadm's struct ipvs_command_entry while parsing.
type parser struct {
	prog  string
	names Names
	c     Command

	svcAF     int
	svcProto  uint16 // protocol used for service names (TCP for -f)
	svcAddr   netip.Addr
	svcPort   uint16
	destAF    int
	schedFlag string // -b argument, parsed after all options
	dpvs      dpvsOpts
}

// parseOptions is parse_options(): the command, then the options, then the
// --set values and leftovers.
func (p *parser) parseOptions(args []string) error {
	pp := &popt{args: args}
	r, done, perr := pp.nextOpt()
	if done || perr != poptOK {
		return tryHelp(p.prog)
	}
	if err := p.setCommand(r); err != nil {
		return err
	}
	if p.c.Cmd == CmdHelp || p.c.Cmd == CmdVersion {
		return nil
	}
	pp.shorts = shortsFor(p.c.Cmd) // DPVS's -b (dpvs.go)
	for {
		r, done, perr = pp.nextOpt()
		if done {
			break
		}
		if perr != poptOK {
			return poptError(pp.badOption(), perr)
		}
		if err := p.option(r, pp); err != nil {
			return err
		}
	}
	if p.c.Cmd == CmdSetTimeouts {
		if err := p.parseSet(pp); err != nil {
			return err
		}
	}
	if a, ok := pp.arg(); ok {
		return failf("unexpected argument %s", a)
	}
	// ipvsadm parses -b only when its copy of the value (snprintf into
	// a 128-byte buffer) is not empty: "-b ''" sets no flags.
	if p.c.Opts.Has(OptSchedFlags) && p.schedFlag != "" {
		flags, err := parseSchedFlags(p.c.Service.Scheduler, p.schedFlag)
		if err != nil {
			return err
		}
		p.c.Service.Flags |= flags
	}
	return nil
}

// commandTags are the options that are commands without a value.
var commandTags = map[tag]Cmd{
	tagAddService: CmdAddService, tagEditService: CmdEditService,
	tagDelService: CmdDelService, tagAddServer: CmdAddServer,
	tagEditServer: CmdEditServer, tagDelServer: CmdDelServer,
	tagClear: CmdFlush, tagList: CmdList, tagZero: CmdZero,
	tagSet: CmdSetTimeouts, tagRestore: CmdRestore, tagSave: CmdSave,
	tagHelp: CmdHelp, tagVersion: CmdVersion,
	tagAddLaddr: CmdAddLaddr, tagDelLaddr: CmdDelLaddr, tagGetLaddr: CmdGetLaddr,
}

// setCommand handles the first option, which must be a command.
func (p *parser) setCommand(r poptResult) error {
	if c, ok := commandTags[r.opt.tag]; ok {
		p.c.Cmd = c
		return nil
	}
	switch r.opt.tag {
	case tagStartDaemon, tagStopDaemon:
		p.c.Cmd = CmdStartDaemon
		msg := "illegal start-daemon parameter specified"
		if r.opt.tag == tagStopDaemon {
			p.c.Cmd = CmdStopDaemon
			msg = "illegal start_daemon specified"
		}
		if r.val != "master" && r.val != "backup" {
			return failf("%s", msg)
		}
		p.c.Daemon.State = r.val
		return nil
	}
	return tryHelp(p.prog)
}

// setOpt is set_option(): each option may be given once.
func (p *parser) setOpt(o Opt) error {
	if p.c.Opts.Has(o) {
		return failf("multiple '%s' options specified", o)
	}
	p.c.Opts |= 1 << o
	return nil
}

// parseSet reads the three --set values (poptGetArg).
func (p *parser) parseSet(pp *popt) error {
	var vals [3]string
	for i := range vals {
		v, ok := pp.arg()
		if !ok {
			return failf("--set option requires 3 timeout values")
		}
		vals[i] = v
	}
	var t [3]uint32
	for i, v := range vals {
		n, err := parseTimeout(&v, 0, MaxTimeout)
		if err != nil {
			return err
		}
		t[i] = n
	}
	p.c.Timeouts = api.Timeouts{TCP: t[0], TCPFin: t[1], UDP: t[2]}
	return nil
}

// parseTimeout is parse_timeout(): a nil value is the default persistence
// timeout.
func parseTimeout(v *string, min, max int64) (uint32, error) {
	if v == nil {
		return api.DefaultPersistTimeout, nil
	}
	n, ok := stringToNumber(*v, min, max)
	if !ok {
		return 0, failf("invalid timeout value `%s' specified", *v)
	}
	return uint32(n), nil
}

// parseFwmark is parse_fwmark(): strtol, 1..UINT_MAX.
func parseFwmark(s string) (uint32, error) {
	v, rest, ok, overflow := strtol(s, 10)
	if !ok || rest != "" || overflow || v <= 0 || v > math.MaxUint32 {
		return 0, failf("invalid fwmark value `%s' specified", s)
	}
	return uint32(v), nil
}

// parseServiceAddr is parse_service(): host[:port], [v6]:port or a bare
// IPv6 address. hasPort reports whether a port was given; proto picks the
// services(5) protocol for port names.
func parseServiceAddr(buf string, proto uint16, names Names) (addr netip.Addr, port uint16, hasPort, ok bool) {
	if strIsDigit(buf) {
		return addr, 0, false, false
	}
	portp := -1 // index of the ':' before the port, in buf
	if buf[0] == '[' {
		buf = buf[1:]
		end := -1
		for i := 0; i < len(buf); i++ {
			if buf[i] == ']' {
				end = i
				break
			}
		}
		if end < 0 || end+1 >= len(buf) || buf[end+1] != ':' {
			return addr, 0, false, false
		}
		portS := buf[end+2:]
		buf = buf[:end]
		if a, ok6 := inetPton6(buf); ok6 {
			return finishService(a, portS, true, proto, names)
		}
	} else if a, ok6 := inetPton6(buf); ok6 {
		return a, 0, false, true
	}
	// IPv4 or host name; the port is after the last ':' (within the
	// brackets, if any: "[1.2.3.4]:80" is 1.2.3.4 without a port).
	for i := len(buf) - 1; i >= 0; i-- {
		if buf[i] == ':' {
			portp = i
			break
		}
	}
	host := buf
	portS := ""
	if portp >= 0 {
		host, portS = buf[:portp], buf[portp+1:]
	}
	a, ok4 := inetAton(host)
	if !ok4 {
		if names == nil {
			return addr, 0, false, false
		}
		if a, ok4 = names.HostAddr(host); !ok4 {
			return addr, 0, false, false
		}
	}
	return finishService(a, portS, portp >= 0, proto, names)
}

func finishService(a netip.Addr, portS string, hasPort bool, proto uint16, names Names) (netip.Addr, uint16, bool, bool) {
	if !hasPort {
		return a, 0, false, true
	}
	if n, ok := stringToNumber(portS, 0, 65535); ok {
		return a, uint16(n), true, true
	}
	if pn := protoName(proto); pn != "" && names != nil {
		if n, ok := names.Port(portS, pn); ok {
			return a, n, true, true
		}
	}
	return netip.Addr{}, 0, false, false
}

// afOf returns ipvsadm's address family of a.
func afOf(a netip.Addr) int {
	if a.Is6() {
		return afInet6
	}
	return afInet
}

// serviceKey builds the api key of the parsed service. Firewall-mark keys
// carry no protocol or port; their address is the unspecified address of
// their family.
func (p *parser) serviceKey() api.ServiceKey {
	if !p.c.Opts.Has(OptService) {
		return api.ServiceKey{}
	}
	if p.c.Service.Key.FWMark != 0 {
		k := api.ServiceKey{FWMark: p.c.Service.Key.FWMark, Addr: netip.IPv4Unspecified()}
		if p.svcAF == afInet6 {
			k.Addr = netip.IPv6Unspecified()
		}
		return k
	}
	return api.ServiceKey{Protocol: p.svcProto, Addr: p.svcAddr, Port: p.svcPort}
}
