package ipvsadm

import (
	"fmt"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
)

// tunFlagNames are ipvsadm's tunflags[] (the --tun-info column) and
// tun_flags_opts[] (the -S options), indexed by the tunnel flags value.
var (
	tunFlagNames = [...]string{"-c", "+c", "r+c"}
	tunFlagOpts  = [...]string{"--tun-nocsum", "--tun-csum", "--tun-remcsum"}
)

// fwdName is fwd_name(): the Forward column. FullNat is xlvs' own
// (the name DPVS prints).
func fwdName(m api.Method) string {
	switch m & 7 {
	case api.MethodMasq:
		return "Masq"
	case api.MethodLocal:
		return "Local"
	case api.MethodTunnel:
		return "Tunnel"
	case api.MethodRoute:
		return "Route"
	case api.MethodFullNAT:
		return "FullNat"
	}
	return "(null)"
}

// fwdSwitch is fwd_switch(): the -S option of a forwarding method.
func fwdSwitch(m api.Method) string {
	switch m & 7 {
	case api.MethodMasq:
		return "-m"
	case api.MethodTunnel:
		return "-i"
	case api.MethodLocal, api.MethodRoute:
		return "-g"
	case api.MethodFullNAT:
		return "--fullnat"
	}
	return "(null)"
}

// indexOr returns names[i], or "?" past its end.
func indexOr(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return "?"
}

// tunInfo is fwd_tun_info(): ipip, gue:<port>:<flags>, gre:<flags> for
// tunnels (16-byte buffer), n/a otherwise.
func tunInfo(d *api.Dest) string {
	if d.Method&7 != api.MethodTunnel {
		return "n/a"
	}
	flags := indexOr(tunFlagNames[:], int(d.TunFlags))
	switch d.TunType {
	case api.TunIPIP:
		return "ipip"
	case api.TunGUE:
		return truncate("gue:"+strconv.Itoa(int(d.TunPort))+":"+flags, 15)
	case api.TunGRE:
		return truncate("gre:"+flags, 15)
	}
	return "n/a"
}

// dest prints one real-server line of service s (svc is its svc_name).
func (p *printer) dest(svc string, s *api.Service, d *api.Dest) {
	dname := addrPortName(d.Addr, d.Port, nameProto(s), p.has(FmtNumeric), p.names)
	if p.has(FmtRule) {
		p.ew.print(ruleDestLine(svc, dname, d))
		return
	}
	if !s.Key.IsIPv6() {
		dname = truncate(dname, 28)
	}
	st := &d.Stats
	switch {
	case p.has(FmtStats):
		p.ew.print("  -> " + padRight(dname, 28) + largenum(st.Conns, p.f) + largenum(st.InPkts, p.f) +
			largenum(st.OutPkts, p.f) + largenum(st.InBytes, p.f) + largenum(st.OutBytes, p.f) + "\n")
	case p.has(FmtRate):
		p.ew.print(fmt.Sprintf("  -> %s %8d %8d %8d", padRight(dname, 28), st.CPS, st.InPPS, st.OutPPS) +
			largenum(st.InBPS, p.f) + largenum(st.OutBPS, p.f) + "\n")
	case p.has(FmtThresholds):
		p.ew.print(fmt.Sprintf("  -> %s %-10d %-10d %-10d %-10d\n", padRight(dname, 28), d.UThreshold, d.LThreshold, d.ActiveConns, d.InactConns))
	case p.has(FmtPersistentConn):
		p.ew.print(fmt.Sprintf("  -> %s %-9d %-11d %-10d %-10d\n", padRight(dname, 28), uint32(d.Weight), d.PersistConns, d.ActiveConns, d.InactConns))
	case p.has(FmtTunInfo):
		p.ew.print(fmt.Sprintf("  -> %s %-7s %-13s %-6d %-10d %-10d\n", padRight(dname, 28), fwdName(d.Method), tunInfo(d), d.Weight, d.ActiveConns, d.InactConns))
	default:
		p.ew.print(fmt.Sprintf("  -> %s %-7s %-6d %-10d %-10d\n", padRight(dname, 28), fwdName(d.Method), d.Weight, d.ActiveConns, d.InactConns))
	}
}

// ruleDestLine is the -a line of ipvsadm -S (print_tunnel_rule for
// tunnels). Thresholds are not saved, as in ipvsadm.
func ruleDestLine(svc, dname string, d *api.Dest) string {
	line := "-a " + svc + " -r " + dname + " " + fwdSwitch(d.Method) + " -w " + strconv.Itoa(int(d.Weight))
	if d.Method&7 == api.MethodTunnel {
		flags := indexOr(tunFlagOpts[:], int(d.TunFlags))
		switch d.TunType {
		case api.TunGUE:
			line += " --tun-type gue --tun-port " + strconv.Itoa(int(d.TunPort)) + " " + flags
		case api.TunGRE:
			line += " --tun-type gre " + flags
		case api.TunIPIP:
			line += " --tun-type ipip"
		}
	}
	return line + "\n"
}
