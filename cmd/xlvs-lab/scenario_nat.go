package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// natRIP is the -r address of real server i of the NAT topology: its own
// address behind the director with the mapped port (80 → 8080, 53 → 5353).
func natRIP(i int, v6 bool, port uint16) string {
	a := labtraffic.NATRSAddr4(i)
	if v6 {
		a = labtraffic.NATRSAddr6(i)
	}
	mapped := uint16(labtraffic.NATTCPPort)
	if port == labtraffic.UDPPort {
		mapped = labtraffic.NATUDPPort
	}
	return netip.AddrPortFrom(a, mapped).String()
}

// runNAT: LVS-NAT on the two-armed topology. The real servers listen only
// on 8080 and 5353 and route everything via the director; the client
// talks to VIP:80 and VIP:53. wrr with weights 1, 2, ...: rs2 gets twice
// rs1's share. Replies pass the director, which counts them (OutPkts).
func runNAT(e *env) error {
	n := e.o.realServers
	nat, err := labtraffic.NewNAT(e.lab, labtraffic.NATOptions{RealServers: n, Queues: e.o.queues})
	if err != nil {
		return fmt.Errorf("%w: building the topology: %v", errStep, err)
	}
	e.printf("topology: client %s %s -- director eth0 (VIPs %s %s) | director eth1 %s %s -- real servers %s... (gateway: the director), listening on :%d/tcp and :%d/udp only\n\n",
		labtraffic.ClientAddr4, labtraffic.ClientAddr6, labtraffic.VIP4, labtraffic.VIP6,
		labtraffic.DirectorSrvAddr4, labtraffic.DirectorSrvAddr6, labtraffic.NATRSAddr4(0), labtraffic.NATTCPPort, labtraffic.NATUDPPort)
	if err := e.serve(nat.RS, natOwn(labtraffic.NATTCPPort), natOwn(labtraffic.NATUDPPort)); err != nil {
		return err
	}
	if err := e.startDirector(nat.Director, "--interface", "eth0", "--interface", "eth1"); err != nil {
		return err
	}
	vs := vipServices(n, []string{"-s", "wrr"}, natRIP, []string{"-m"}, func(i int) int { return i + 1 })
	if err := e.configure(vs); err != nil {
		return err
	}
	rep, err := e.traffic(nat.Client, e.plan(vipTargets()))
	if err != nil {
		return err
	}
	stats, err := e.report(rep, vs, []string{"-L", "-n"}, []string{"-L", "-n", "--stats"})
	if err != nil {
		return err
	}
	e.checkOutPkts(vs, stats)
	return nil
}

// natOwn returns a server-address function for [env.serve]: real server
// i's own addresses behind the director (NAT, FULLNAT) on port.
func natOwn(port uint16) func(int) []string {
	return func(i int) []string {
		return []string{netip.AddrPortFrom(labtraffic.NATRSAddr4(i), port).String(), netip.AddrPortFrom(labtraffic.NATRSAddr6(i), port).String()}
	}
}

// checkOutPkts records that every real server's replies passed the
// director (OutPkts of -L -n --stats), as with NAT and FULLNAT they must.
func (e *env) checkOutPkts(vs []virtual, stats []listRow) {
	var missing []string
	var replies int64
	for _, v := range vs {
		for _, d := range v.dests {
			out, ok := column(stats, v.key(), v.listed(d), statsOutPkts)
			if !ok || out == 0 {
				missing = append(missing, v.key()+" -> "+v.listed(d))
			}
			replies += out
		}
	}
	text := fmt.Sprintf("every real server's replies came back through the director: %d packets (xlvsadm OutPkts)", replies)
	if len(missing) > 0 {
		text += "; none from " + strings.Join(missing, ", ")
	}
	e.check(len(missing) == 0, "%s", text)
}
