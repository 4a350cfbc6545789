package ipvsadm

import (
	"strings"

	"github.com/xlvs/xlvs/ctrl/api"
)

// formatOpts are the options that only select a listing format.
var formatOpts = map[tag]struct {
	opt Opt
	fmt Format
}{
	tagNumeric:        {OptNumeric, FmtNumeric},
	tagStats:          {OptStats, FmtStats},
	tagRate:           {OptRate, FmtRate},
	tagThresholds:     {OptThresholds, FmtThresholds},
	tagPersistentConn: {OptPersistentConn, FmtPersistentConn},
	tagNoSort:         {OptNoSort, FmtNoSort},
	tagExact:          {OptExact, FmtExact},
	tagTunInfo:        {OptTunInfo, FmtTunInfo},
}

// flagOpts are options without a value that set only their option bit.
var flagOpts = map[tag]Opt{
	tagConnection: OptConnection,
	tagTimeout:    OptTimeout,
	tagDaemon:     OptDaemon,
}

// option handles one option after the command (the option loop of
// parse_options()).
func (p *parser) option(r poptResult, pp *popt) error {
	if f, ok := formatOpts[r.opt.tag]; ok {
		p.c.Format |= f.fmt
		return p.setOpt(f.opt)
	}
	if o, ok := flagOpts[r.opt.tag]; ok {
		return p.setOpt(o)
	}
	switch r.opt.tag {
	case tagTCP, tagUDP, tagSCTP, tagFWMark, tagIPv6, tagScheduler, tagPersistent,
		tagNetmask, tagOps, tagPE, tagSchedFlags:
		return p.serviceOption(r)
	case tagRealServer, tagMasq, tagIPIP, tagGate, tagFullNAT, tagWeight, tagUThreshold,
		tagLThreshold, tagTunType, tagTunPort, tagTunNoCsum, tagTunCsum, tagTunRemCsum:
		return p.destOption(r)
	case tagMcastIfn, tagSyncID, tagMcastGroup, tagMcastPort, tagMcastTTL, tagSyncMaxLen:
		return p.daemonOption(r)
	case tagSort:
		return nil // the default; accepted for compatibility
	case tagLaddr, tagIfname, tagTOA, tagProxyProtocol:
		return p.dpvsOption(r)
	}
	return failf("invalid option `%s'", pp.badOption())
}

// serviceOption handles the options describing a virtual service.
func (p *parser) serviceOption(r poptResult) error {
	svc := &p.c.Service
	switch r.opt.tag {
	case tagTCP, tagUDP, tagSCTP:
		if err := p.setOpt(OptService); err != nil {
			return err
		}
		p.svcProto = map[tag]uint16{tagTCP: api.ProtoTCP, tagUDP: api.ProtoUDP, tagSCTP: api.ProtoSCTP}[r.opt.tag]
		addr, port, _, ok := parseServiceAddr(r.val, p.svcProto, p.names)
		if !ok {
			return failf("illegal virtual server address[:port] specified")
		}
		p.svcAddr, p.svcPort, p.svcAF = addr, port, afOf(addr)
		if p.svcAF == afInet6 {
			svc.Netmask = 128
		}
	case tagFWMark:
		if err := p.setOpt(OptService); err != nil {
			return err
		}
		p.svcAF, p.svcProto = afInet, api.ProtoTCP
		mark, err := parseFwmark(r.val)
		if err != nil {
			return err
		}
		svc.Key.FWMark = mark
	case tagIPv6:
		if svc.Key.FWMark == 0 {
			return failf("-6 used before -f\n")
		}
		p.svcAF, svc.Netmask = afInet6, 128
	case tagScheduler:
		svc.Scheduler = truncate(r.val, maxNameLen)
		return p.setOpt(OptScheduler)
	case tagPersistent:
		if err := p.setOpt(OptPersistent); err != nil {
			return err
		}
		svc.Flags |= api.SvcPersistent
		var v *string
		if r.hasVal {
			v = &r.val
		}
		t, err := parseTimeout(v, 1, MaxTimeout)
		svc.Timeout = t
		return err
	case tagNetmask:
		return p.netmaskOption(r.val)
	case tagOps:
		svc.Flags |= api.SvcOnePacket
		return p.setOpt(OptOnePacket)
	case tagPE:
		svc.PE = truncate(r.val, maxPENameLen)
		return p.setOpt(OptPE)
	case tagSchedFlags:
		p.schedFlag = truncate(r.val, maxSchedFlagsLen)
		return p.setOpt(OptSchedFlags)
	}
	return nil
}

// netmaskOption handles -M, read by the address family known so far.
func (p *parser) netmaskOption(v string) error {
	if err := p.setOpt(OptNetmask); err != nil {
		return err
	}
	if p.svcAF != afInet6 {
		a, ok := inetAton(v)
		if !ok && p.names != nil {
			a, ok = p.names.HostAddr(v)
		}
		if !ok {
			return failf("illegal virtual server persistent mask specified")
		}
		p.c.Service.Netmask = addrToUint32(a)
		return nil
	}
	n := atoi(v)
	if n < 1 || n > 128 {
		return failf("illegal ipv6 netmask specified")
	}
	p.c.Service.Netmask = uint32(n)
	return nil
}

// destOption handles the options describing a real server.
func (p *parser) destOption(r poptResult) error {
	d := &p.c.Dest
	switch r.opt.tag {
	case tagRealServer:
		if err := p.setOpt(OptServer); err != nil {
			return err
		}
		addr, port, hasPort, ok := parseServiceAddr(r.val, p.svcProto, p.names)
		if !ok {
			return failf("illegal real server address[:port] specified")
		}
		if !hasPort {
			port = p.svcPort // copy vport to dport if not specified
		}
		d.Addr, d.Port, p.destAF = addr, port, afOf(addr)
	case tagMasq, tagIPIP, tagGate, tagFullNAT:
		d.Method = map[tag]api.Method{tagMasq: api.MethodMasq, tagIPIP: api.MethodTunnel,
			tagGate: api.MethodRoute, tagFullNAT: api.MethodFullNAT}[r.opt.tag]
		return p.setOpt(OptForward)
	case tagWeight, tagUThreshold, tagLThreshold:
		o, msg := OptWeight, "illegal weight specified"
		if r.opt.tag == tagUThreshold {
			o, msg = OptUThreshold, "illegal u_threshold specified"
		} else if r.opt.tag == tagLThreshold {
			o, msg = OptLThreshold, "illegal l_threshold specified"
		}
		if err := p.setOpt(o); err != nil {
			return err
		}
		n, ok := stringToNumber(r.val, 0, maxWeight)
		if !ok {
			return failf("%s", msg)
		}
		switch o {
		case OptWeight:
			d.Weight = int32(n)
		case OptUThreshold:
			d.UThreshold = uint32(n)
		default:
			d.LThreshold = uint32(n)
		}
	case tagTunType:
		if err := p.setOpt(OptTunType); err != nil {
			return err
		}
		for i, n := range tunNames {
			if n == r.val {
				d.TunType = uint8(i)
				return nil
			}
		}
		return failf("illegal tunnel type specified")
	case tagTunPort:
		if err := p.setOpt(OptTunPort); err != nil {
			return err
		}
		n, ok := stringToNumber(r.val, 1, 65535)
		if !ok {
			return failf("illegal tunnel port specified")
		}
		d.TunPort = uint16(n)
	case tagTunNoCsum:
		return p.setOpt(OptTunNoCsum)
	case tagTunCsum:
		d.TunFlags |= 1
		return p.setOpt(OptTunCsum)
	case tagTunRemCsum:
		d.TunFlags |= 2
		return p.setOpt(OptTunRemCsum)
	}
	return nil
}

// daemonOption handles the sync daemon options.
func (p *parser) daemonOption(r poptResult) error {
	dm := &p.c.Daemon
	type rng struct {
		opt      Opt
		min, max int64
		msg      string
	}
	ranges := map[tag]rng{
		tagSyncID:     {OptSyncID, 0, 255, "illegal syncid specified"},
		tagMcastPort:  {OptMcastPort, 1, 65535, "illegal mcast-port specified"},
		tagMcastTTL:   {OptMcastTTL, 1, 255, "illegal mcast-ttl specified"},
		tagSyncMaxLen: {OptSyncMaxLen, 1, maxSyncMaxLen, "illegal sync-maxlen specified"},
	}
	if rg, ok := ranges[r.opt.tag]; ok {
		if err := p.setOpt(rg.opt); err != nil {
			return err
		}
		n, ok := stringToNumber(r.val, rg.min, rg.max)
		if !ok {
			return failf("%s", rg.msg)
		}
		switch rg.opt {
		case OptSyncID:
			dm.SyncID = uint8(n)
		case OptMcastPort:
			dm.McastPort = uint16(n)
		case OptMcastTTL:
			dm.McastTTL = uint8(n)
		default:
			dm.SyncMaxLen = uint16(n)
		}
		return nil
	}
	switch r.opt.tag {
	case tagMcastIfn:
		dm.McastIfn = truncate(r.val, maxNameLen)
		return p.setOpt(OptMcastIfn)
	case tagMcastGroup:
		if err := p.setOpt(OptMcastGroup); err != nil {
			return err
		}
		if strings.Contains(r.val, ":") {
			a, ok := inetPton6(r.val)
			if !ok || !a.IsMulticast() {
				return failf("invalid IPv6 mcast-group `%s'", r.val)
			}
			dm.McastGroup = a
			return nil
		}
		a, ok := inetPton4(r.val)
		if !ok || !a.IsMulticast() {
			return failf("invalid IPv4 mcast-group `%s'", r.val)
		}
		dm.McastGroup = a
	}
	return nil
}

// parseSchedFlags is parse_sched_flags(): a comma list of flag names; the
// sh-* and mh-* names need that scheduler (wlc when none is given).
func parseSchedFlags(sched, arg string) (uint32, error) {
	if sched == "" {
		sched = defScheduler
	}
	var flags uint32
	n := 0
	for _, f := range strings.Split(arg, ",") {
		if f == "" {
			continue // strtok skips empty fields
		}
		n++
		var need string
		switch f {
		case "flag-1":
			flags |= api.SvcSched1
		case "flag-2":
			flags |= api.SvcSched2
		case "flag-3":
			flags |= api.SvcSched3
		case "sh-fallback", "mh-fallback":
			flags |= api.SvcSched1
			need = f[:2]
		case "sh-port", "mh-port":
			flags |= api.SvcSched2
			need = f[:2]
		default:
			return 0, failf("invalid scheduler flag `%s'", f)
		}
		if need != "" && sched != need {
			return 0, failf("incompatible scheduler flag `%s'", f)
		}
	}
	if n == 0 {
		return 0, failf("invalid scheduler flag `%s'", arg)
	}
	return flags, nil
}

// truncate cuts s to n bytes, as strncpy into a fixed ipvsadm buffer does.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
