// Command xlvs-lab builds the one-armed LVS direct-routing lab in network
// namespaces, runs xlvsd as its director, configures it with xlvsadm, sends
// checked TCP and UDP traffic (IPv4 and IPv6) from a client to the virtual
// services, reports what each real server received and removes everything.
//
//	xlvs-lab [--xlvsd ./bin/xlvsd] [--xlvsadm ./bin/xlvsadm] [--no-director] [--keep]
//
// Topology (internal/labtraffic.NewDR): namespaces client, director, rs1,
// rs2, each with eth0 on bridge br0 of namespace lan; 198.18.0.0/24 and
// fd00:18::/64; VIPs 198.18.0.100 and fd00:18::100 on the director's eth0
// and on the real servers' lo. Services: TCP :80 and UDP :53 on both VIPs,
// scheduler rr, both real servers in gatewaying (DR) mode.
//
// --no-director skips xlvsd and sends the traffic to the real servers'
// own addresses: a smoke test of the topology and of the servers.
//
// The program needs root. It exits 0 when every round-trip succeeded (and,
// with a director, every real server answered for every service), 1 when
// traffic did not get through or a step failed, 2 on bad usage. Everything
// is removed on every exit path: normal end, failure, xlvsd dying, SIGINT or
// SIGTERM. A second Ctrl-C exits at once; the next netlab user then sweeps
// the leftovers (see netlab.SweepStale).
package main
