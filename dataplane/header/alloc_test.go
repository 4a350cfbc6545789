package header_test

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func TestSettersDoNotAllocate(t *testing.T) {
	pkt := ipPacket(v4a, v4b, header.IPProtoTCP, segment(header.IPProtoTCP, 1, 2, []byte("x")))
	ip, tcp := header.IPv4(pkt), header.TCP(pkt[header.IPv4MinimumSize:])
	a, b := [4]byte{198, 18, 1, 1}, [4]byte{198, 18, 1, 2}
	allocs := testing.AllocsPerRun(100, func() {
		tcp.UpdateChecksumPseudoHeaderAddress(a[:], b[:], true)
		tcp.SetDestinationPortWithChecksumUpdate(8080)
		ip.SetDestinationAddressWithChecksumUpdate(b[:])
		ip.SetTTL(64)
		ip.DecTTL()
		a, b = b, a
	})
	if allocs != 0 {
		t.Errorf("allocations per rewrite = %v, want 0", allocs)
	}
}
