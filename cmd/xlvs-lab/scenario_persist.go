package main

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// persistClients is how many client addresses the persist scenario uses
// per family.
const persistClients = 4

// persistTimeout is the services' -p.
const persistTimeout = "120"

// clientAddr returns client k's address (k from 0): 198.18.0.2, .3, ...
// and fd00:18::2, ::3, ... on the client namespace's eth0.
func clientAddr(k int, v6 bool) netip.Addr {
	a := labtraffic.ClientAddr4
	if v6 {
		a = labtraffic.ClientAddr6
	}
	for range k {
		a = a.Next()
	}
	return a
}

// clientRun is the traffic of one client address.
type clientRun struct {
	addr netip.Addr
	rep  labtraffic.Report
}

// runPersist: persistent services (-p) in DR mode with rr. Several
// clients (addresses of the client namespace) each open many connections
// and send many datagrams: every one of a client's connections goes to
// the real server its first one went to (the persistence template), and
// rr spreads the clients, not the connections.
func runPersist(e *env) error {
	dr, err := e.newDR(onVIPs(labtraffic.TCPPort), onVIPs(labtraffic.UDPPort))
	if err != nil {
		return err
	}
	for k := 1; k < persistClients; k++ {
		for _, v6 := range []bool{false, true} {
			bits := 24
			if v6 {
				bits = 64
			}
			if err := dr.Client.AddAddr("eth0", netip.PrefixFrom(clientAddr(k, v6), bits).String()); err != nil {
				return fmt.Errorf("%w: %v", errStep, err)
			}
		}
	}
	e.printf("clients: %s..%s and %s..%s (addresses of the client namespace)\n",
		clientAddr(0, false), clientAddr(persistClients-1, false), clientAddr(0, true), clientAddr(persistClients-1, true))
	if err := e.startDirector(dr.Director, "--interface", "eth0"); err != nil {
		return err
	}
	vs := vipServices(e.o.realServers, []string{"-s", "rr", "-p", persistTimeout}, drRIP, []string{"-g"}, nil)
	if err := e.configure(vs); err != nil {
		return err
	}
	var runs []clientRun
	for _, v6 := range []bool{false, true} {
		for k := range persistClients {
			vip := labtraffic.VIP4
			if v6 {
				vip = labtraffic.VIP6
			}
			plan := e.plan([]string{netip.AddrPortFrom(vip, labtraffic.TCPPort).String()}, []string{netip.AddrPortFrom(vip, labtraffic.UDPPort).String()})
			plan.Source = clientAddr(k, v6)
			rep, err := e.traffic(dr.Client, plan)
			if err != nil {
				return err
			}
			runs = append(runs, clientRun{plan.Source, rep})
		}
	}
	printClients(e.out, runs, names(e.o.realServers))
	printServers(e.out, e.servers)
	stats, shown, err := e.listings([]string{"-L", "-n"}, []string{"-L", "-n", "--persistent-conn"})
	if err != nil {
		return err
	}
	pc := shown[1]
	var all []labtraffic.Report
	for _, r := range runs {
		all = append(all, r.rep)
	}
	e.checkRoundTrips(merge(all...))
	for _, v := range vs {
		e.checkSticky(v, runs, parseListing(pc))
	}
	e.checkTallies(vs, stats, merge(all...))
	e.printf("\n")
	return e.xlvsRSDown(e.ctx)
}

// stuckTo returns the one real server that answered every round-trip of
// the run's target of protocol proto, or "" if none or several did.
func stuckTo(rep labtraffic.Report, proto string) string {
	for _, t := range rep.Targets {
		if t.Proto != proto {
			continue
		}
		var by []string
		for n, c := range t.PerServer {
			if c > 0 {
				by = append(by, n)
			}
		}
		if len(by) == 1 && t.PerServer[by[0]] == t.OK && t.Failed == 0 {
			return by[0]
		}
	}
	return ""
}

// checkSticky records for service v that each client of its family stuck
// to one real server, that rr spread the clients over the real servers,
// and that xlvsadm's PersistConn shows one template per client on the
// server it stuck to.
func (e *env) checkSticky(v virtual, runs []clientRun, pc []listRow) {
	v6 := netip.MustParseAddrPort(v.addr).Addr().Is6()
	perServer := make([]int, len(v.dests))
	var stuck, of int
	for _, r := range runs {
		if r.addr.Is6() != v6 {
			continue
		}
		of++
		name := stuckTo(r.rep, v.protocol())
		if name == "" {
			continue
		}
		stuck++
		for i, d := range v.dests {
			if d.name == name {
				perServer[i]++
			}
		}
	}
	var rs []string
	for _, d := range v.dests {
		rs = append(rs, d.name)
	}
	e.check(stuck == of && of > 0, "%s: %d of %d clients had all their %s round-trips answered by one real server",
		v.key(), stuck, of, strings.ToUpper(v.protocol()))
	e.check(splitOK(perServer, v.weights(), e.o.queues), "%s: the clients went to %s, as rr over the templates implies (%s)",
		v.key(), formatCounts(rs, perServer), formatShares(shares(stuck, v.weights())))
	templates := make([]int, len(v.dests))
	for i, d := range v.dests {
		n, _ := column(pc, v.key(), v.listed(d), persistPersistConn)
		templates[i] = int(n)
	}
	e.check(slices.Equal(templates, perServer), "%s: xlvsadm -L -n --persistent-conn shows PersistConn %s, one template per client",
		v.key(), formatCounts(rs, templates))
}

// printClients prints, per client address, which real server answered
// its TCP and its UDP round-trips.
func printClients(w io.Writer, runs []clientRun, rs []string) {
	fmt.Fprintln(w, "\ntraffic: which real servers answered each client")
	tw := tableWriter(w, 0)
	fmt.Fprintln(tw, "client\ttcp :80\tudp :53")
	for _, r := range runs {
		var cells []string
		for _, t := range r.rep.Targets {
			var by []string
			for _, n := range rs {
				if c := t.PerServer[n]; c > 0 {
					by = append(by, fmt.Sprintf("%s x%d", n, c))
				}
			}
			if t.Failed > 0 {
				by = append(by, fmt.Sprintf("%d failed", t.Failed))
			}
			cells = append(cells, strings.Join(by, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.addr, strings.Join(cells, "\t"))
	}
	tw.Flush()
}
