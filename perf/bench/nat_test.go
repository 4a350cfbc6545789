package main

import (
	"slices"
	"strconv"
	"testing"
)

// The NAT method gives xlvsd a reply record for every connection the
// table holds, so no NAT row refuses flows with drop-reply-table-full.
func TestNATMethodReservesReplyRecords(t *testing.T) {
	m, ok := methodNamed("NAT")
	if !ok || m.topo == nil {
		t.Fatal("the NAT method has no topo hook")
	}
	for _, connMax := range []int{1, 1 << 16, 1 << 21} {
		daemon, adm := m.topo("-u", "198.18.1.100:9", connMax)
		want := []string{"--nat-conn-max", strconv.Itoa(connMax)}
		if !slices.Equal(daemon, want) || len(adm) != 0 {
			t.Errorf("%d: xlvsd flags %q, xlvsadm commands %q; want %q and none", connMax, daemon, adm, want)
		}
	}
}
