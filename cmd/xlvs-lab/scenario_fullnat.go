package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// localAddr6b is the second IPv6 local address: the topology has one, the
// FULLNAT scenarios add this one to the director's eth1 so that each
// family has two.
var localAddr6b = netip.MustParseAddr("fd00:18:1::201")

// fullnatLaddrs returns the two local addresses of a family.
func fullnatLaddrs(v6 bool) []netip.Addr {
	if v6 {
		return []netip.Addr{labtraffic.LocalAddr6, localAddr6b}
	}
	return []netip.Addr{labtraffic.LocalAddr4, labtraffic.LocalAddr4b}
}

// isLaddr reports whether a is one of the FULLNAT scenarios' local
// addresses.
func isLaddr(a netip.Addr) bool {
	return slices.Contains(fullnatLaddrs(false), a) || slices.Contains(fullnatLaddrs(true), a)
}

// newFullNAT builds the FULLNAT topology (real servers with no route
// beyond their own net), adds the second IPv6 local address, starts the
// traffic servers (start: plain or PROXY-aware) on the real servers' own
// addresses, ports 8080 and 5353, and xlvsd on both links. It records
// that the real servers cannot reach the client.
func (e *env) newFullNAT(start func(*labtraffic.FullNAT) error) (*labtraffic.FullNAT, error) {
	fn, err := labtraffic.NewFullNAT(e.lab, labtraffic.NATOptions{RealServers: e.o.realServers, Queues: e.o.queues})
	if err == nil {
		err = fn.Director.AddAddr("eth1", localAddr6b.String()+"/128")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: building the topology: %v", errStep, err)
	}
	e.printf("topology: client %s %s -- director eth0 (VIPs %s %s) | director eth1 %s %s, local addresses %s -- real servers %s... with no route beyond their LAN, listening on :%d/tcp and :%d/udp\n\n",
		labtraffic.ClientAddr4, labtraffic.ClientAddr6, labtraffic.VIP4, labtraffic.VIP6,
		labtraffic.DirectorSrvAddr4, labtraffic.DirectorSrvAddr6, joinAddrs(append(fullnatLaddrs(false), fullnatLaddrs(true)...)),
		labtraffic.NATRSAddr4(0), labtraffic.NATTCPPort, labtraffic.NATUDPPort)
	e.checkNoRouteToClient(fn)
	if err := start(fn); err != nil {
		return nil, err
	}
	if err := e.startDirector(fn.Director, "--interface", "eth0", "--interface", "eth1"); err != nil {
		return nil, err
	}
	return fn, nil
}

// checkNoRouteToClient records that a real server cannot send to the
// client at all: whatever reaches the client came through the director.
func (e *env) checkNoRouteToClient(fn *labtraffic.FullNAT) {
	var got []string
	ok := true
	for _, c := range []netip.Addr{labtraffic.ClientAddr4, labtraffic.ClientAddr6} {
		err := fn.RS[0].Do(func() error {
			conn, err := net.DialTimeout("udp", netip.AddrPortFrom(c, 9).String(), time.Second)
			if err == nil {
				conn.Close()
			}
			return err
		})
		if !errors.Is(err, syscall.ENETUNREACH) {
			ok = false
		}
		got = append(got, fmt.Sprintf("%s: %v", c, errText(err)))
	}
	e.check(ok, "the real servers have no route to the client (rs1 sending to %s)", strings.Join(got, ", "))
}

func errText(err error) string {
	if errors.Is(err, syscall.ENETUNREACH) {
		return "network is unreachable"
	}
	if err == nil {
		return "sent"
	}
	return err.Error()
}

// fullnatServices returns the usual four services (TCP 80 and UDP 53 on
// both VIPs, rr) with svcOpts, their real servers by FULLNAT (-b) on the
// mapped ports 8080 and 5353.
func fullnatServices(n int, svcOpts ...string) []virtual {
	return vipServices(n, append([]string{"-s", "rr"}, svcOpts...), natRIP, []string{"-b"}, nil)
}

// addLaddrs gives every service its family's two local addresses (-P ...
// -z LIP -F eth1).
func (e *env) addLaddrs(vs []virtual) error {
	for _, v := range vs {
		vip := netip.MustParseAddrPort(v.addr).Addr()
		for _, l := range fullnatLaddrs(vip.Is6()) {
			if _, err := e.adm("-P", v.flag, v.addr, "-z", l.String(), "-F", "eth1"); err != nil {
				return err
			}
		}
	}
	return nil
}

// runFullNAT: FULLNAT (-b) with two local addresses per family. The
// director rewrites both ends — CIP:cport → VIP:vport becomes LIP:lport →
// RIP:rport — so real servers without any route to the client answer the
// local address, and the director translates back.
func runFullNAT(e *env) error {
	fn, err := e.newFullNAT(func(fn *labtraffic.FullNAT) error {
		return e.serve(fn.RS, natOwn(labtraffic.NATTCPPort), natOwn(labtraffic.NATUDPPort))
	})
	if err != nil {
		return err
	}
	vs := fullnatServices(e.o.realServers)
	if err := e.configure(vs); err != nil {
		return err
	}
	if err := e.addLaddrs(vs); err != nil {
		return err
	}
	rep, err := e.traffic(fn.Client, e.plan(vipTargets()))
	if err != nil {
		return err
	}
	stats, err := e.report(rep, vs, []string{"-L", "-n"}, []string{"-L", "-n", "--stats"})
	if err != nil {
		return err
	}
	e.checkOutPkts(vs, stats)
	e.checkSources(false)
	return e.checkLaddrListing(vs)
}

// checkSources records, for every real server, that every connection and
// datagram it received came from a local address (never the client), and
// that both local addresses of each family were used; with proxy, also
// that the PROXY v2 headers named the client for every one of them.
func (e *env) checkSources(proxy bool) {
	used := map[netip.Addr]bool{}
	for _, s := range e.servers {
		st := s.Stats()
		peers := s.Peers()
		total, fromLaddr := 0, 0
		for a, n := range peers {
			total += n
			if isLaddr(a) {
				fromLaddr += n
				used[a] = true
			}
		}
		want := int(st.TCPConns + st.UDPDatagrams)
		e.check(total == want && fromLaddr == total && total > 0, "%s: all %d connections and datagrams came from local addresses (%s), none from the client",
			st.Name, total, formatAddrCounts(peers))
		if !proxy {
			continue
		}
		clients := s.ProxyClients()
		learnt := clients[labtraffic.ClientAddr4] + clients[labtraffic.ClientAddr6]
		e.check(learnt == want && len(clients) == 2 && s.ProxyErrors() == 0,
			"%s: the PROXY v2 headers named the client for all %d of them (%s), %d without a valid header",
			st.Name, want, formatAddrCounts(clients), s.ProxyErrors())
	}
	var missing []string
	for _, l := range append(fullnatLaddrs(false), fullnatLaddrs(true)...) {
		if !used[l] {
			missing = append(missing, l.String())
		}
	}
	text := "every local address carried connections (round robin over a service's local addresses)"
	if len(missing) > 0 {
		text += "; unused: " + strings.Join(missing, ", ")
	}
	e.check(len(missing) == 0, "%s", text)
}

// formatAddrCounts prints counts by address, sorted: "198.18.1.200=5 ...".
func formatAddrCounts(m map[netip.Addr]int) string {
	keys := slices.SortedFunc(maps.Keys(m), netip.Addr.Compare)
	p := make([]string, len(keys))
	for i, k := range keys {
		p[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(p, " ")
}

func joinAddrs(a []netip.Addr) string {
	p := make([]string, len(a))
	for i, x := range a {
		p[i] = x.String()
	}
	return strings.Join(p, " ")
}

// checkLaddrListing shows `xlvsadm -G` and records that every service
// lists its two local addresses, each with connections and no port
// conflict.
func (e *env) checkLaddrListing(vs []virtual) error {
	out, err := e.show("-G")
	if err != nil {
		return err
	}
	rows := parseLaddrs(out)
	good := 0
	for _, v := range vs {
		vip := netip.MustParseAddrPort(v.addr).Addr()
		ok := len(rows[v.addr]) == 2
		for _, l := range fullnatLaddrs(vip.Is6()) {
			r, found := rows[v.addr][l]
			ok = ok && found && r.conns > 0 && r.conflicts == 0
		}
		if ok {
			good++
		}
	}
	e.check(good == len(vs), "xlvsadm -G lists %d of %d services with both local addresses, each with connections and no port conflict", good, len(vs))
	return nil
}

// laddrRow is one local address line of xlvsadm -G.
type laddrRow struct{ conflicts, conns int }

// parseLaddrs reads xlvsadm -G: by service ("VIP:port"), its local
// addresses.
func parseLaddrs(s string) map[string]map[netip.Addr]laddrRow {
	rows := map[string]map[netip.Addr]laddrRow{}
	svc := ""
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && line[0] != ' ':
			svc = f[0]
			rows[svc] = map[netip.Addr]laddrRow{}
		case len(f) == 3 && line[0] == ' ' && svc != "":
			a, err := netip.ParseAddr(f[0])
			c1, err1 := strconv.Atoi(f[1])
			c2, err2 := strconv.Atoi(f[2])
			if err == nil && err1 == nil && err2 == nil {
				rows[svc][a] = laddrRow{conflicts: c1, conns: c2}
			}
		}
	}
	return rows
}

// runFullNATProxy: FULLNAT with --proxy-protocol v2. The real servers
// read the PROXY v2 header the director puts in front of each TCP stream
// and of each UDP datagram, and learn the client's address from it while
// the network shows them only the local addresses.
func runFullNATProxy(e *env) error {
	fn, err := e.newFullNAT(func(fn *labtraffic.FullNAT) error {
		return e.serveWith(labtraffic.ServeProxy, fn.RS, natOwn(labtraffic.NATTCPPort), natOwn(labtraffic.NATUDPPort))
	})
	if err != nil {
		return err
	}
	vs := fullnatServices(e.o.realServers, "--proxy-protocol", "v2")
	if err := e.configure(vs); err != nil {
		return err
	}
	if err := e.addLaddrs(vs); err != nil {
		return err
	}
	rep, err := e.traffic(fn.Client, e.plan(vipTargets()))
	if err != nil {
		return err
	}
	if _, err := e.report(rep, vs, []string{"-L", "-n"}); err != nil {
		return err
	}
	e.printf("\nwhat the real servers learnt (source address seen: count; client named by the PROXY v2 header: count):\n")
	for _, s := range e.servers {
		e.printf("  %s: seen %s; told %s\n", s.Name(), formatAddrCounts(s.Peers()), formatAddrCounts(s.ProxyClients()))
	}
	e.checkSources(true)
	return nil
}
