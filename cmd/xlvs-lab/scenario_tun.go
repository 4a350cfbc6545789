package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// tunnel is one tunnel type as ipvsadm and xlvs-rs spell it.
type tunnel struct {
	adm     []string // xlvsadm -a ... -i options
	rs      []string // xlvs-rs up --mode tun options
	info    string   // the TunnelInfo column of xlvsadm -L -n --tun-info
	counter string   // the decapsulator's counter in xlvs-rs status
}

// The tunnels of the tun-* scenarios.
var (
	tunIPIP = tunnel{nil, []string{"--tun-type", "ipip"}, "ipip", "decap-ipip"}
	tunGUE  = tunnel{[]string{"--tun-type", "gue", "--tun-port", "6080"}, []string{"--tun-type", "gue", "--tun-port", "6080"}, "gue:6080:-c", "decap-gue"}
	tunGRE  = tunnel{[]string{"--tun-type", "gre", "--tun-csum"}, []string{"--tun-type", "gre"}, "gre:+c", "decap-gre"}
)

// tunRIP is the -r address of real server i of the TUN topology: its
// address on the director's server side, no port (the service's).
func tunRIP(i int, v6 bool, _ uint16) string {
	if v6 {
		return labtraffic.NATRSAddr6(i).String()
	}
	return labtraffic.NATRSAddr4(i).String()
}

// tunScenario returns the scenario of tunnel t: LVS-TUN on the TUN
// topology, real servers prepared by `xlvs-rs up --mode tun` (VIPs on lo,
// loose rp_filter, the tc-BPF decapsulator on the interface facing the
// director), answering the client directly by their other link. The
// client's full-size TCP segments do not fit the tunnel: the director
// answers with fragmentation-needed / packet-too-big and the client's path
// MTU discovery completes before the transfers do.
func tunScenario(t tunnel) func(e *env) error {
	return func(e *env) error {
		n := e.o.realServers
		topo, err := labtraffic.NewTUN(e.lab, labtraffic.TUNOptions{RealServers: n, Queues: e.o.queues})
		if err != nil {
			return fmt.Errorf("%w: building the topology: %v", errStep, err)
		}
		e.printf("topology: client %s %s and director eth0 (VIPs %s %s) on the client LAN; director eth1 %s %s -> tunnels -> real servers' eth0 %s...; real servers' eth1 %s... on the client LAN (direct return)\n\n",
			labtraffic.ClientAddr4, labtraffic.ClientAddr6, labtraffic.VIP4, labtraffic.VIP6, labtraffic.DirectorSrvAddr4,
			labtraffic.DirectorSrvAddr6, labtraffic.NATRSAddr4(0), labtraffic.RSAddr4(0))
		// --decap bpf: xlvs's own decapsulator, also where the kernel has
		// the ipip/fou/ip_gre modules (auto would use those).
		up := append(append(slices.Clone(vipArgs), "--mode", "tun", "--dev", "eth0", "--decap", "bpf"), t.rs...)
		if err := e.xlvsRSUp(topo.RS, up...); err != nil {
			return err
		}
		if err := e.serve(topo.RS, onVIPs(labtraffic.TCPPort), onVIPs(labtraffic.UDPPort)); err != nil {
			return err
		}
		if err := e.startDirector(topo.Director, "--interface", "eth0", "--interface", "eth1"); err != nil {
			return err
		}
		vs := vipServices(n, []string{"-s", "rr"}, tunRIP, append([]string{"-i"}, t.adm...), nil)
		if err := e.configure(vs); err != nil {
			return err
		}
		rep, err := e.traffic(topo.Client, e.plan(vipTargets()))
		if err != nil {
			return err
		}
		if _, err := e.report(rep, vs, []string{"-L", "-n", "--tun-info"}); err != nil {
			return err
		}
		if err := e.checkTunInfo(vs, t); err != nil {
			return err
		}
		if err := e.checkDecap(t); err != nil {
			return err
		}
		e.printf("\n")
		return e.xlvsRSDown(e.ctx)
	}
}

// checkTunInfo records that the listing shows every real server as a
// tunnel of the configured type.
func (e *env) checkTunInfo(vs []virtual, t tunnel) error {
	out, err := e.admQuiet("-L", "-n", "--tun-info")
	if err != nil {
		return err
	}
	rows := parseListing(out)
	good, total := 0, 0
	for _, v := range vs {
		for _, d := range v.dests {
			total++
			for _, r := range rows {
				if r.service == v.key() && r.server == v.listed(d) && len(r.cols) >= 2 && r.cols[0] == "Tunnel" && r.cols[1] == t.info {
					good++
				}
			}
		}
	}
	e.check(good == total, "xlvsadm -L -n --tun-info lists %d of %d real servers as Tunnel %s", good, total, t.info)
	return nil
}

// decapCount matches one counter in xlvs-rs status: "decap-gue 12".
var decapCount = regexp.MustCompile(`\b(decap-[a-z]+|drop-[a-z-]+) (\d+)\b`)

// checkDecap prints the decapsulators' counters from xlvs-rs status and
// records that every real server decapsulated packets of the tunnel and
// dropped none.
func (e *env) checkDecap(t tunnel) error {
	st, err := e.xlvsRSStatus()
	if err != nil {
		return err
	}
	e.printf("\nxlvs-rs status (decapsulator counters):\n")
	for _, r := range e.rsUp {
		counts := map[string]int{}
		drops := 0
		for _, m := range decapCount.FindAllStringSubmatch(st[r.name], -1) {
			v, _ := strconv.Atoi(m[2])
			counts[m[1]] = v
			if strings.HasPrefix(m[1], "drop-") {
				drops += v
			}
		}
		e.printf("  %s: %s %d, dropped %d\n", r.name, t.counter, counts[t.counter], drops)
		e.check(counts[t.counter] > 0 && drops == 0, "%s decapsulated %d packets (%s) and dropped %d", r.name, counts[t.counter], t.counter, drops)
	}
	return nil
}
