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
	{
		name: "fullnat", title: "FULLNAT (-b) with two local addresses per family (-P): real servers with no route to the client",
		run: runFullNAT,
	},
	{
		name: "fullnat-proxy", title: "FULLNAT with --proxy-protocol v2: real servers learn the client's address from the PROXY header",
		run: runFullNATProxy,
	},
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
		fmt.Fprintf(w, "%-13s %s\n", s.name, s.title)
	}
}
