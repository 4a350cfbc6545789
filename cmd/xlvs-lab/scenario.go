package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// scenario is one demonstration: it builds its own topology, prepares the
// real servers, starts xlvsd, configures it with xlvsadm, sends traffic,
// records its checks and leaves everything it made to the env's teardown.
type scenario struct {
	name  string
	title string // what it shows, one line
	// realServerTool: the scenario runs xlvs-rs on the real servers.
	realServerTool bool
	run            func(e *env) error
}

// scenarios run in this order by default.
var scenarios = []scenario{
	{
		name: "dr", title: "Direct Routing (-g): rr over the real servers, set up by xlvs-rs --mode dr",
		realServerTool: true, run: runDR,
	},
	{
		name: "nat", title: "NAT (-m) with port mapping 80->8080, 53->5353: wrr, replies through the director",
		run: runNAT,
	},
	{
		name: "tun-ipip", title: "Tunnelling (-i) with IPIP to real servers decapsulating with xlvs-rs, direct return",
		realServerTool: true, run: tunScenario(tunIPIP),
	},
	{
		name: "tun-gue", title: "Tunnelling (-i --tun-type gue --tun-port 6080) through xlvs-rs, direct return",
		realServerTool: true, run: tunScenario(tunGUE),
	},
	{
		name: "tun-gre", title: "Tunnelling (-i --tun-type gre --tun-csum) through xlvs-rs, direct return",
		realServerTool: true, run: tunScenario(tunGRE),
	},
	{
		name: "persist", title: "Persistence (-p): each client's connections stick to one real server",
		realServerTool: true, run: runPersist,
	},
	{
		name: "fwmark", title: "Firewall marks (xlvsd --mark, -f): ports 80 and 8080 balanced as one service",
		realServerTool: true, run: runFWMark,
	},
	// ----------------------------------------------------------------
	// FULLNAT GOES HERE, when the engine forwards it (until then packets
	// to -b real servers are dropped as unsupported-method, and a
	// scenario would fail: `make lab` must stay green). Add
	//
	//	{name: "fullnat", title: "FULLNAT (-b) with local addresses (-P): ...", run: runFULLNAT},
	//
	// with runFULLNAT in scenario_fullnat.go, shaped like runNAT: the
	// two-armed labtraffic.NewNAT topology and e.serve on the real
	// servers' own addresses; xlvsd --interface eth0 --interface eth1;
	// e.configure with services and -b real servers, then
	// e.admAll for the local addresses (-P -t VIP:80 -z LIP -F eth1);
	// e.traffic, e.report (round-trips, split, tallies) and the FULLNAT
	// point: e.g. the real servers saw LIP, not the client, as the
	// source, and `xlvsadm -G` lists the local addresses. Then add the
	// row to lab_test.go's shows map and to the README's lab table.
	// ----------------------------------------------------------------
}

// selectScenarios returns the scenarios named (all of them, in order, when
// names is empty) in the order of the table, or a usage error naming the
// unknown ones.
func selectScenarios(names []string) ([]scenario, error) {
	if len(names) == 0 {
		return slices.Clone(scenarios), nil
	}
	var unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == n }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: unknown scenario %s (see --list)", errUsage, strings.Join(unknown, ", "))
	}
	var sel []scenario
	for _, s := range scenarios {
		if slices.Contains(names, s.name) {
			sel = append(sel, s)
		}
	}
	return sel, nil
}

// listScenarios prints the scenarios, one per line: name and title.
func listScenarios(w io.Writer) {
	for _, s := range scenarios {
		fmt.Fprintf(w, "%-9s %s\n", s.name, s.title)
	}
}
