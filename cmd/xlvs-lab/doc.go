// Command xlvs-lab demonstrates and checks the director end to end, as a
// user would run it: scenario after scenario, it builds a topology of
// network namespaces, prepares the real servers with xlvs-rs, starts
// xlvsd, configures it only with the xlvsadm binary, sends TCP transfers
// (data both ways) and UDP datagrams over IPv4 and IPv6 from a client,
// prints what each real server received and xlvsadm's listings, checks
// the outcome and removes everything.
//
//	xlvs-lab [--scenario NAME]... [--list] [--xlvsd ./bin/xlvsd] [--xlvsadm ./bin/xlvsadm]
//	         [--xlvs-rs ./bin/xlvs-rs] [--queues N] [--real-servers N] [--conns N]
//	         [--bytes N] [--datagrams N] [--timeout D] [--keep] [--no-director] [-v]
//
// Scenarios (--list; --scenario, repeatable, runs a subset, in this order):
//
//	dr        Direct Routing (-g), rr; real servers set up by xlvs-rs --mode dr
//	nat       NAT (-m) with port mapping 80->8080 and 53->5353, wrr 1:2; replies
//	          through the director (OutPkts)
//	tun-ipip  TUN (-i) with IPIP; real servers decapsulate with xlvs-rs's tc-BPF
//	tun-gue   TUN with GUE (--tun-type gue --tun-port 6080)
//	tun-gre   TUN with GRE and its checksum (--tun-type gre --tun-csum)
//	persist   persistence (-p): four clients per family, each sticks to one real
//	          server; rr spreads the clients; PersistConn shows the templates
//	fwmark    xlvsd --mark rules put ports 80 and 8080 (53 and 5353) under one
//	          mark: one -f service balances both ports as one
//	fullnat   FULLNAT (-b) with two local addresses per family (-P); real servers
//	          with no route to the client; xlvsadm -G
//	fullnat-proxy  FULLNAT with --proxy-protocol v2; PROXY-aware real servers
//	          learn the client's address from the header
//
// Each scenario checks what a user would: every round-trip answered with
// an exact echo; the connections xlvsadm counted per real server split as
// the scheduler and weights imply (exactly for rr with one worker, within
// one cycle per worker otherwise); each real server's own tally equal to
// what the director scheduled to it and what the client saw answered by
// it; and the scenario's own point (replies through the director, the
// tunnel in the listing and in the decapsulator's counters, stickiness,
// one service for two ports, FULLNAT's local addresses as the only sources
// the real servers see, the client's address in the PROXY header).
//
// Topologies come from internal/labtraffic: [labtraffic.NewDR] (one LAN),
// [labtraffic.NewNAT] (two-armed, the director as the real servers'
// gateway), [labtraffic.NewTUN] (tunnels in on one side, direct return
// on the other) and [labtraffic.NewFullNAT] (two-armed, the real servers
// without a route beyond their LAN). Commands are printed as a shell transcript ("rs1# xlvs-rs
// up ...", "director# xlvsadm -A ..."); xlvsd and xlvsadm find each other
// through XLVS_SOCKET in a temporary directory. xlvsd's log is shown when
// a scenario fails (always with -v).
//
// --no-director runs the dr topology without xlvsd, its real servers set
// up by the topology, and sends the traffic to their own addresses: a
// smoke test of the namespaces and servers. --keep (with one --scenario)
// keeps that scenario's lab after its checks until Ctrl-C.
//
// The program needs root. The report goes to stdout and ends with a
// summary and the line "xlvs-lab: PASS", or "xlvs-lab: FAIL (names)" for
// the scenarios that failed; progress goes to stderr. Exit status 0 when
// every scenario passed, 1 when one failed or the lab could not run, 2 on
// bad usage. A failed scenario does not stop the next. Everything is
// removed on every exit path: normal end, failure, xlvsd dying, SIGINT or
// SIGTERM (the scenarios left are then not run). A second Ctrl-C exits at
// once; the next netlab user sweeps the leftovers (netlab.SweepStale).
package main
