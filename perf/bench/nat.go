package main

import "strconv"

// NAT rows measure the inbound direction: every flow is a connection
// whose replies would come back through the director, so each needs a
// reply record. xlvsd keeps a quarter of --conn-max for them by default,
// which refuses three flows in four at 1M flows (drop-reply-table-full);
// the bench gives NAT one reply record per connection, as FULLNAT has.

// natTopo is the NAT hook of the methods table: --nat-conn-max =
// --conn-max.
func natTopo(proto, svc string, connMax int) (daemon []string, adm [][]string) {
	return []string{"--nat-conn-max", strconv.Itoa(connMax)}, nil
}
