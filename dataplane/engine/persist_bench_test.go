package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// BenchmarkPersistentNewConnections measures new connections of a
// persistent service: every packet is a SYN of a new flow from one of 64
// clients, so each finds its client's template (lookup, usability check,
// re-arm) and inserts a controlled connection.
func BenchmarkPersistentNewConnections(b *testing.B) {
	f := newFixture(b, 1, "wlc")
	f.svcs[0].Flags, f.svcs[0].PersistTimeout, f.svcs[0].Netmask = snapshot.SvcPersistent, 360, 0xffffffff
	f.publish()
	benchNewConns(b, f)
}

// BenchmarkFWMarkNewConnections is the same through a mark rule and a
// firewall-mark service, with four rules ahead of the matching one.
func BenchmarkFWMarkNewConnections(b *testing.B) {
	f := fwmarkFixture(b, 1)
	f.svcs[3].Flags = 0
	f.publishMarks(
		markRule4(9, protoUDP, "198.18.0.0/24", 1, 65535),
		markRule4(9, protoTCP, "198.18.1.0/24", 1, 65535),
		markRule4(9, protoTCP, "198.18.0.100/32", 1, 79),
		markRule4(9, protoTCP, "198.18.0.100/32", 81, 442),
		markRule4(1, protoTCP, "198.18.0.100/32", 80, 80),
	)
	benchNewConns(b, f)
}
