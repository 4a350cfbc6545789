package main

import (
	"fmt"
	"net/netip"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// The second port of each protocol the fwmark scenario puts under one
// mark with the first.
const (
	fwmAltTCPPort = 8080
	fwmAltUDPPort = 5353
)

// runFWMark: firewall-mark services. IPVS gets marks from iptables, which
// XDP bypasses, so xlvsd assigns them with --mark rules: TCP to the VIPs'
// ports 80 and 8080 is mark 1, UDP to 53 and 5353 mark 2. One -f service
// per mark and family balances both ports as one stream: rr alternates
// over the union of the connections, and the service counts both ports'.
func runFWMark(e *env) error {
	dr, err := e.newDR(onVIPs(labtraffic.TCPPort, fwmAltTCPPort), onVIPs(labtraffic.UDPPort, fwmAltUDPPort))
	if err != nil {
		return err
	}
	var args []string
	for _, r := range []struct {
		proto string
		ports string
		mark  string
	}{{"tcp", fmt.Sprintf("%d,%d", labtraffic.TCPPort, fwmAltTCPPort), "1"}, {"udp", fmt.Sprintf("%d,%d", labtraffic.UDPPort, fwmAltUDPPort), "2"}} {
		for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
			args = append(args, "--mark", fmt.Sprintf("%s %s %s %s", r.proto, netip.PrefixFrom(vip, vip.BitLen()), r.ports, r.mark))
		}
	}
	if err := e.startDirector(dr.Director, append([]string{"--interface", "eth0"}, args...)...); err != nil {
		return err
	}
	var vs []virtual
	for _, m := range []struct{ mark, proto string }{{"1", "tcp"}, {"2", "udp"}} {
		for _, v6 := range []bool{false, true} {
			v := virtual{flag: "-f", addr: m.mark, ipv6: v6, proto: m.proto, opts: []string{"-s", "rr"}}
			for i := range e.o.realServers {
				rip := labtraffic.RSAddr4(i)
				if v6 {
					rip = labtraffic.RSAddr6(i)
				}
				v.dests = append(v.dests, dest{name: fmt.Sprintf("rs%d", i+1), rip: rip.String(), opts: []string{"-g"}})
			}
			vs = append(vs, v)
		}
	}
	if err := e.configure(vs); err != nil {
		return err
	}
	var tcp, udp []string
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		for _, p := range []uint16{labtraffic.TCPPort, fwmAltTCPPort} {
			tcp = append(tcp, netip.AddrPortFrom(vip, p).String())
		}
		for _, p := range []uint16{labtraffic.UDPPort, fwmAltUDPPort} {
			udp = append(udp, netip.AddrPortFrom(vip, p).String())
		}
	}
	rep, err := e.traffic(dr.Client, e.plan(tcp, udp))
	if err != nil {
		return err
	}
	stats, err := e.report(rep, vs, []string{"-L", "-n"}, []string{"-L", "-n", "--stats"})
	if err != nil {
		return err
	}
	for _, v := range vs[:2] { // the TCP services: one connection per round-trip
		svcConns, _ := column(stats, v.key(), "", statsConns)
		var perPort []int
		for _, t := range rep.Targets {
			if t.Proto == "tcp" && netip.MustParseAddrPort(t.Addr).Addr().Is6() == v.ipv6 {
				perPort = append(perPort, t.OK)
			}
		}
		e.check(len(perPort) == 2 && int(svcConns) == sum(perPort) && perPort[0] > 0 && perPort[1] > 0,
			"%s counts the connections to both ports as its own: %d = %s (:%d + :%d)", v.key(), svcConns, joinInts(perPort, " + "),
			labtraffic.TCPPort, fwmAltTCPPort)
	}
	e.printf("\n")
	return e.xlvsRSDown(e.ctx)
}
