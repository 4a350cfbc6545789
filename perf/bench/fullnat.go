package main

import (
	"net/netip"
	"strconv"
)

// FULLNAT rows measure the inbound direction only: the sink counts and
// answers nothing, so no reply ever comes back to a local address. Each
// flow is a connection that holds a local port for the UDP timeout, so the
// service gets enough local addresses on dut's sink side for the largest
// flow count (a local address gives 64511 ports at the default range),
// and every connection a reply record (--nat-conn-max = --conn-max), as a
// FULLNAT director needs.

// fullnatFirstLaddr is the first local address, in the sink's net
// (198.18.2.0/24); the sink never answers them, so nothing resolves them.
var fullnatFirstLaddr = netip.MustParseAddr("198.18.2.200")

// fullnatPortsPerLaddr is the default local port range 1025-65535.
const fullnatPortsPerLaddr = 65535 - 1025 + 1

// fullnatTopo is the FULLNAT hook of the methods table: the reply
// capacity, and local addresses for connMax connections (at most 48).
func fullnatTopo(proto, svc string, connMax int) (daemon []string, adm [][]string) {
	daemon = []string{"--nat-conn-max", strconv.Itoa(connMax)}
	n := min(48, (connMax+fullnatPortsPerLaddr-1)/fullnatPortsPerLaddr)
	a := fullnatFirstLaddr
	for i := 0; i < n; i++ {
		adm = append(adm, []string{"-P", proto, svc, "-z", a.String()})
		a = a.Next()
	}
	return daemon, adm
}
