package main

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// vipArgs are xlvs-rs up's VIP options for the labs' two VIPs.
var vipArgs = []string{"--vip", labtraffic.VIP4.String(), "--vip", labtraffic.VIP6.String()}

// drRIP is the -r address of real server i in the one-armed DR topology:
// its own address with the service's port.
func drRIP(i int, v6 bool, port uint16) string {
	a := labtraffic.RSAddr4(i)
	if v6 {
		a = labtraffic.RSAddr6(i)
	}
	return netip.AddrPortFrom(a, port).String()
}

// newDR builds the one-armed topology and prepares its real servers as a
// user does: xlvs-rs up --mode dr (VIPs on lo, ARP sysctls), then the
// traffic servers on the addresses tcp(i) and udp(i).
func (e *env) newDR(tcp, udp func(int) []string) (*labtraffic.DR, error) {
	dr, err := labtraffic.NewDR(e.lab, labtraffic.DROptions{RealServers: e.o.realServers, Queues: e.o.queues, BareRealServers: true})
	if err != nil {
		return nil, fmt.Errorf("%w: building the topology: %v", errStep, err)
	}
	e.printf("topology: client %s %s, director %s (VIPs %s %s on eth0), real servers %s..., one LAN\n\n",
		labtraffic.ClientAddr4, labtraffic.ClientAddr6, labtraffic.DirectorAddr4, labtraffic.VIP4, labtraffic.VIP6, labtraffic.RSAddr4(0))
	if err := e.xlvsRSUp(dr.RS, append(slices.Clone(vipArgs), "--mode", "dr", "--dev", "eth0")...); err != nil {
		return nil, err
	}
	if err := e.serve(dr.RS, tcp, udp); err != nil {
		return nil, err
	}
	return dr, nil
}

// runDR: the classic one-armed LVS-DR: rr over the real servers, TCP and
// UDP on both VIPs; the real servers answer the client directly.
func runDR(e *env) error {
	if e.o.noDirector {
		return runDRSmoke(e)
	}
	dr, err := e.newDR(onVIPs(labtraffic.TCPPort), onVIPs(labtraffic.UDPPort))
	if err != nil {
		return err
	}
	if err := e.startDirector(dr.Director, "--interface", "eth0"); err != nil {
		return err
	}
	vs := vipServices(e.o.realServers, []string{"-s", "rr"}, drRIP, []string{"-g"}, nil)
	if err := e.configure(vs); err != nil {
		return err
	}
	rep, err := e.traffic(dr.Client, e.plan(vipTargets()))
	if err != nil {
		return err
	}
	if _, err := e.report(rep, vs, []string{"-L", "-n"}, []string{"-L", "-n", "--stats"}); err != nil {
		return err
	}
	e.printf("\n")
	return e.xlvsRSDown(e.ctx)
}

// report prints the client's view and the real servers' tallies, shows
// the listings, and records the checks every balancing scenario shares:
// round-trips, the scheduler's split, the tallies. It returns the parsed
// `-L -n --stats` (shown when asked for, else read quietly).
func (e *env) report(rep labtraffic.Report, vs []virtual, listings ...[]string) ([]listRow, error) {
	e.reportTraffic(rep)
	stats, _, err := e.listings(listings...)
	if err != nil {
		return nil, err
	}
	e.checkRoundTrips(rep)
	e.checkSplit(vs, stats)
	e.checkTallies(vs, stats, rep)
	return stats, nil
}

// reportTraffic prints the client's view and the real servers' tallies.
func (e *env) reportTraffic(rep labtraffic.Report) {
	printTraffic(e.out, fmt.Sprintf("traffic: %d TCP connections (%d bytes each way) and %d UDP datagrams per target, answered by:",
		e.o.conns, e.o.bytes, e.o.datagrams), rep, names(e.o.realServers))
	printServers(e.out, e.servers)
}

// listings shows each xlvsadm listing and returns `-L -n --stats` parsed
// (read quietly when not among them) and the outputs shown.
func (e *env) listings(listings ...[]string) (stats []listRow, shown []string, err error) {
	var st string
	for _, l := range listings {
		out, err := e.show(l...)
		if err != nil {
			return nil, nil, err
		}
		shown = append(shown, out)
		if slices.Equal(l, []string{"-L", "-n", "--stats"}) {
			st = out
		}
	}
	if st == "" {
		if st, err = e.admQuiet("-L", "-n", "--stats"); err != nil {
			return nil, nil, err
		}
	}
	return parseListing(st), shown, nil
}

// runDRSmoke (--no-director): the DR topology with its real servers set up
// by the topology itself, traffic to the real servers' own addresses: a
// check of the namespaces, links and servers without xlvsd.
func runDRSmoke(e *env) error {
	dr, err := labtraffic.NewDR(e.lab, labtraffic.DROptions{RealServers: e.o.realServers, Queues: e.o.queues})
	if err != nil {
		return fmt.Errorf("%w: building the topology: %v", errStep, err)
	}
	servers, err := dr.ServeRealServers()
	if err != nil {
		return fmt.Errorf("%w: %v", errStep, err)
	}
	e.servers = servers
	e.printf("no director: the client talks to the real servers' own addresses\n")
	plan := dr.DirectPlan()
	plan.Conns, plan.Bytes, plan.Datagrams = e.o.conns, e.o.bytes, e.o.datagrams
	rep, err := e.traffic(dr.Client, plan)
	if err != nil {
		return err
	}
	e.reportTraffic(rep)
	e.checkRoundTrips(rep)
	for _, t := range rep.Targets {
		host := netip.MustParseAddrPort(t.Addr).Addr()
		want := ""
		for i := range e.o.realServers {
			if host == labtraffic.RSAddr4(i) || host == labtraffic.RSAddr6(i) {
				want = fmt.Sprintf("rs%d", i+1)
			}
		}
		e.check(t.PerServer[want] == t.OK && t.OK > 0, "%s %s answered only by %s, whose address it is", t.Proto, t.Addr, want)
	}
	return nil
}
