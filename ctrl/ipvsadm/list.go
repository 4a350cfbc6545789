package ipvsadm

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
)

// errWriter keeps the first write error so formatters can print freely.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) print(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// ListAll writes ipvsadm -L's listing (list_all): the version header, the
// title of format f and every service with its real servers, sorted unless
// f has FmtNoSort. With FmtRule it writes ipvsadm -S's rules instead (no
// header, no title, always sorted). names may be nil (numeric output).
func ListAll(w io.Writer, info api.Info, svcs []api.Service, f Format, names Names) error {
	if f&FmtRule == 0 {
		if err := writeHeader(w, info); err != nil {
			return err
		}
	}
	return listServices(w, svcs, f, names)
}

// listServices is list_all after the version line: the title, then the
// services, sorted unless FmtNoSort (-S always sorts).
func listServices(w io.Writer, svcs []api.Service, f Format, names Names) error {
	if f&FmtRule != 0 {
		f &^= FmtNoSort
	}
	sorted := append([]api.Service(nil), svcs...)
	if f&FmtNoSort == 0 {
		SortServices(sorted)
	}
	ew := &errWriter{w: w}
	p := &printer{ew: ew, f: f, names: names}
	p.title()
	for i := range sorted {
		p.service(&sorted[i])
	}
	return ew.err
}

// writeHeader prints list_all's version line.
func writeHeader(w io.Writer, info api.Info) error {
	v := info.Version
	_, err := fmt.Fprintf(w, "IP Virtual Server version %d.%d.%d (size=%d)\n", (v>>16)&0xff, (v>>8)&0xff, v&0xff, int32(info.ConnTabSize))
	return err
}

// ListService writes ipvsadm -L -t/-u/-f's listing of one service
// (list_service): the title and the service, without the version header.
func ListService(w io.Writer, svc api.Service, f Format, names Names) error {
	ew := &errWriter{w: w}
	p := &printer{ew: ew, f: f, names: names}
	p.title()
	p.service(&svc)
	return ew.err
}

// Save writes ipvsadm -S's rules (ipvsadm -S -n when numeric).
func Save(w io.Writer, svcs []api.Service, numeric bool, names Names) error {
	f := FmtRule
	if numeric {
		f |= FmtNumeric
	}
	return ListAll(w, api.Info{}, svcs, f, names)
}

// ListTimeouts writes ipvsadm -L --timeout's line.
func ListTimeouts(w io.Writer, t api.Timeouts) error {
	_, err := fmt.Fprintf(w, "Timeout (tcp tcpfin udp): %d %d %d\n", int32(t.TCP), int32(t.TCPFin), int32(t.UDP))
	return err
}

// printer prints services and real servers in one format.
type printer struct {
	ew    *errWriter
	f     Format
	names Names
}

func (p *printer) has(f Format) bool { return p.f&f != 0 }

// title is print_title(): the first matching format wins.
func (p *printer) title() {
	const prot = "Prot LocalAddress:Port"
	const remote = "  -> RemoteAddress:Port\n"
	switch {
	case p.has(FmtStats):
		p.ew.print(fmt.Sprintf("%-33s %8s %8s %8s %8s %8s\n", prot, "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes") + remote)
	case p.has(FmtRate):
		p.ew.print(fmt.Sprintf("%-33s %8s %8s %8s %8s %8s\n", prot, "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS") + remote)
	case p.has(FmtThresholds):
		p.ew.print(fmt.Sprintf("%-33s %-10s %-10s %-10s %-10s\n", prot, "Uthreshold", "Lthreshold", "ActiveConn", "InActConn") + remote)
	case p.has(FmtPersistentConn):
		p.ew.print(fmt.Sprintf("%-33s %-9s %-11s %-10s %-10s\n", prot, "Weight", "PersistConn", "ActiveConn", "InActConn") + remote)
	case p.has(FmtTunInfo):
		p.ew.print("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n")
	case !p.has(FmtRule):
		p.ew.print("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

// nameProto is the protocol whose port names apply to a service's ports:
// none for firewall-mark services (the kernel reports no protocol).
func nameProto(s *api.Service) uint16 {
	if s.Key.FWMark != 0 {
		return 0
	}
	return s.Key.Protocol
}

// svcName is print_service_entry()'s svc_name.
func (p *printer) svcName(s *api.Service) string {
	v6 := s.Key.IsIPv6()
	if s.Key.FWMark != 0 {
		mark := strconv.Itoa(int(int32(s.Key.FWMark)))
		switch {
		case p.has(FmtRule) && v6:
			return "-f " + mark + " -6"
		case p.has(FmtRule):
			return "-f " + mark
		case v6:
			return "FWM  " + mark + " IPv6"
		}
		return "FWM  " + mark
	}
	vname := addrPortName(s.Key.Addr, s.Key.Port, s.Key.Protocol, p.has(FmtNumeric), p.names)
	if p.has(FmtRule) {
		opt := map[uint16]string{api.ProtoTCP: "-t", api.ProtoUDP: "-u", api.ProtoSCTP: "--sctp-service"}[s.Key.Protocol]
		if opt == "" {
			opt = "--xxx-service"
		}
		return opt + " " + vname
	}
	proto := map[uint16]string{api.ProtoTCP: "TCP", api.ProtoUDP: "UDP", api.ProtoSCTP: "SCTP"}[s.Key.Protocol]
	if proto == "" {
		proto = "?"
	}
	name := padRight(proto, 4) + " " + vname
	if !v6 {
		name = truncate(name, 33)
	}
	return truncate(name, 63)
}

// service is print_service_entry(): the service line, then its real
// servers, sorted unless FmtNoSort.
func (p *printer) service(s *api.Service) {
	name := p.svcName(s)
	switch {
	case p.has(FmtRule):
		p.ew.print(p.ruleServiceLine(name, s))
	case p.has(FmtStats):
		st := &s.Stats
		p.ew.print(padRight(name, 33) + largenum(st.Conns, p.f) + largenum(st.InPkts, p.f) +
			largenum(st.OutPkts, p.f) + largenum(st.InBytes, p.f) + largenum(st.OutBytes, p.f) + "\n")
	case p.has(FmtRate):
		st := &s.Stats
		p.ew.print(padRight(name, 33) + largenum(st.CPS, p.f) + largenum(st.InPPS, p.f) +
			largenum(st.OutPPS, p.f) + largenum(st.InBPS, p.f) + largenum(st.OutBPS, p.f) + "\n")
	default:
		p.ew.print(p.serviceLine(name, s))
	}
	dests := append([]api.Dest(nil), s.Dests...)
	if !p.has(FmtNoSort) {
		SortDests(dests)
	}
	for i := range dests {
		p.dest(name, s, &dests[i])
	}
}

// serviceLine is the service line of the default, --thresholds,
// --persistent-conn and --tun-info listings.
func (p *printer) serviceLine(name string, s *api.Service) string {
	line := name + " " + s.Scheduler
	if fl := schedFlagsText(s); fl != "" {
		line += " (" + fl + ")"
	}
	if s.Flags&api.SvcPersistent != 0 {
		line += " persistent " + strconv.FormatUint(uint64(s.Timeout), 10)
		line += maskText(s, " mask ")
		if s.PE != "" {
			line += " pe " + s.PE
		}
	}
	if s.Flags&api.SvcOnePacket != 0 {
		line += " ops"
	}
	return line + clientAddrText(s, false) + "\n"
}

// ruleServiceLine is the -A line of ipvsadm -S.
func (p *printer) ruleServiceLine(name string, s *api.Service) string {
	line := "-A " + name + " -s " + s.Scheduler
	if s.Flags&api.SvcPersistent != 0 {
		line += " -p " + strconv.FormatUint(uint64(s.Timeout), 10)
		line += maskText(s, " -M ")
	}
	if s.PE != "" {
		line += " --pe " + s.PE
	}
	if s.Flags&api.SvcOnePacket != 0 {
		line += " -o"
	}
	if fl := schedFlagsText(s); fl != "" {
		line += " -b " + fl
	}
	return line + clientAddrText(s, true) + "\n"
}

// maskText is the persistence mask, when it is not the host mask.
func maskText(s *api.Service, prefix string) string {
	if s.Key.IsIPv6() {
		if s.Netmask != 128 {
			return prefix + strconv.Itoa(int(int32(s.Netmask)))
		}
		return ""
	}
	if s.Netmask != defaultNetmask {
		return prefix + addrFromUint32(s.Netmask).String()
	}
	return ""
}

// schedFlagsText is print_sched_flags(): the scheduler flags by their
// sh/mh names or flag-N, comma-separated.
func schedFlagsText(s *api.Service) string {
	names := [3]string{"flag-1", "flag-2", "flag-3"}
	if s.Scheduler == "sh" || s.Scheduler == "mh" {
		names[0], names[1] = s.Scheduler+"-fallback", s.Scheduler+"-port"
	}
	out := ""
	for i, bit := range [3]uint32{api.SvcSched1, api.SvcSched2, api.SvcSched3} {
		if s.Flags&bit != 0 {
			if out != "" {
				out += ","
			}
			out += names[i]
		}
	}
	return out
}

// largenum is print_largenum(): at least 9 columns, K/M/G/T above 10^8
// unless FmtExact.
func largenum(i uint64, f Format) string {
	if f&FmtExact != 0 {
		s := strconv.FormatUint(i, 10)
		if len(s) <= 8 {
			return padLeft(s, 9)
		}
		return " " + s
	}
	switch {
	case i < 100000000:
		return padLeft(strconv.FormatUint(i, 10), 9)
	case i < 1000000000:
		return padLeft(strconv.FormatUint(i/1000, 10), 8) + "K"
	case i < 100000000000:
		return padLeft(strconv.FormatUint(i/1000000, 10), 8) + "M"
	case i < 100000000000000:
		return padLeft(strconv.FormatUint(i/1000000000, 10), 8) + "G"
	}
	return padLeft(strconv.FormatUint(i/1000000000000, 10), 8) + "T"
}
