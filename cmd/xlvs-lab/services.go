package main

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// virtual is one virtual service of a scenario as the user configures it
// with xlvsadm, and how it appears in the listings.
type virtual struct {
	flag  string   // -t, -u or -f
	addr  string   // VIP:port for -t/-u ("198.18.0.100:80", "[fd00:18::100]:80"), the mark for -f
	ipv6  bool     // -f only: an IPv6 firewall-mark service (-6)
	proto string   // -f only: "tcp" or "udp", what its mark rules cover
	opts  []string // service options: -s rr, -p 60, ...
	dests []dest   // real servers, rs1 first
}

// dest is a real server of a virtual service.
type dest struct {
	name   string   // rs1, rs2, ...: the traffic server's name
	rip    string   // as -r takes it: "198.18.0.11:80", "198.18.1.11" (port of the service)
	opts   []string // -g, -m, -i --tun-type gue ...
	weight int      // -w; 0 means the default, 1
}

// weightOf returns the real server's weight as the scheduler sees it.
func (d dest) weightOf() int {
	if d.weight == 0 {
		return 1
	}
	return d.weight
}

// commands returns the xlvsadm command lines creating the service and its
// real servers.
func (v virtual) commands() [][]string {
	svc := []string{v.flag, v.addr}
	if v.ipv6 {
		svc = append(svc, "-6")
	}
	cmds := [][]string{append(append([]string{"-A"}, svc...), v.opts...)}
	for _, d := range v.dests {
		c := append(append(append([]string{"-a"}, svc...), "-r", d.rip), d.opts...)
		if d.weight != 0 {
			c = append(c, "-w", strconv.Itoa(d.weight))
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// key returns the service's name in the listings ("TCP  198.18.0.100:80",
// "FWM  1 IPv6").
func (v virtual) key() string {
	switch v.flag {
	case "-t":
		return "TCP  " + v.addr
	case "-u":
		return "UDP  " + v.addr
	}
	if v.ipv6 {
		return "FWM  " + v.addr + " IPv6"
	}
	return "FWM  " + v.addr
}

// listed returns the address the listings show for real server d: its
// -r address with the service's port when -r gave none (port 0 for a
// firewall-mark service).
func (v virtual) listed(d dest) string {
	if ap, err := netip.ParseAddrPort(d.rip); err == nil {
		return ap.String()
	}
	var port uint16
	if v.flag != "-f" {
		if ap, err := netip.ParseAddrPort(v.addr); err == nil {
			port = ap.Port()
		}
	}
	a, err := netip.ParseAddr(d.rip)
	if err != nil {
		return d.rip
	}
	return netip.AddrPortFrom(a, port).String()
}

// protocol returns "tcp" or "udp".
func (v virtual) protocol() string {
	switch v.flag {
	case "-t":
		return "tcp"
	case "-u":
		return "udp"
	}
	return v.proto
}

// weights returns the real servers' weights, rs1 first.
func (v virtual) weights() []int {
	w := make([]int, len(v.dests))
	for i, d := range v.dests {
		w[i] = d.weightOf()
	}
	return w
}

// configure creates the services with xlvsadm, echoing every command.
func (e *env) configure(vs []virtual) error {
	for _, v := range vs {
		if err := e.admAll(v.commands()); err != nil {
			return err
		}
	}
	return nil
}

// names returns rs1..rsN.
func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("rs%d", i+1)
	}
	return s
}

// vipServices returns the usual four services — TCP port 80 and UDP port
// 53 on both VIPs — each with svcOpts and n real servers: real server i
// of an IPv4 or IPv6 service is rip(i, v6, port), with destOpts(i) and
// weight(i) (nil: default).
func vipServices(n int, svcOpts []string, rip func(i int, v6 bool, port uint16) string, destOpts []string, weight func(i int) int) []virtual {
	var vs []virtual
	for _, p := range []struct {
		flag string
		port uint16
	}{{"-t", labtraffic.TCPPort}, {"-u", labtraffic.UDPPort}} {
		for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
			v := virtual{flag: p.flag, addr: netip.AddrPortFrom(vip, p.port).String(), opts: svcOpts}
			for i := range n {
				d := dest{name: fmt.Sprintf("rs%d", i+1), rip: rip(i, vip.Is6(), p.port), opts: destOpts}
				if weight != nil {
					d.weight = weight(i)
				}
				v.dests = append(v.dests, d)
			}
			vs = append(vs, v)
		}
	}
	return vs
}

// vipTargets returns the client's targets of [vipServices]: TCP port 80
// and UDP port 53 of both VIPs.
func vipTargets() (tcp, udp []string) {
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		tcp = append(tcp, netip.AddrPortFrom(vip, labtraffic.TCPPort).String())
		udp = append(udp, netip.AddrPortFrom(vip, labtraffic.UDPPort).String())
	}
	return tcp, udp
}

// onVIPs returns a server-address function for [env.serve]: both VIPs on
// each port.
func onVIPs(ports ...uint16) func(int) []string {
	return func(int) []string {
		var a []string
		for _, p := range ports {
			for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
				a = append(a, netip.AddrPortFrom(vip, p).String())
			}
		}
		return a
	}
}
