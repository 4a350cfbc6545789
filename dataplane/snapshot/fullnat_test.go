package snapshot

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

func TestLocalAddrs(t *testing.T) {
	svcs := []Service{{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80, FullNAT: ServiceFullNAT{Laddrs: []uint32{5, 2}, ClientAddr: ClientAddrTOA}}}
	s, err := Build(1, svcs, nil, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	addrs := []LocalAddr{
		{ID: 5, Family: 4, Addr: a16("198.18.0.200"), Link: 1, Available: true},
		{ID: 2, Family: 4, Addr: a16("198.18.0.201"), Link: NoLink, Available: true},
		{ID: 9, Family: 6, Addr: a16("fd00::200"), Link: 0},
	}
	if err := s.SetLocalAddrs(addrs); err != nil {
		t.Fatal(err)
	}
	if len(s.LocalAddrs) != 10 {
		t.Errorf("%d slots, want 10", len(s.LocalAddrs))
	}
	for _, a := range addrs {
		got := s.LookupLocalAddr(&a.Addr)
		if got == nil || *got != a {
			t.Errorf("LookupLocalAddr(%x) = %+v, want %+v", a.Addr, got, a)
		}
	}
	for _, miss := range []string{"198.18.0.1", "198.18.0.202", "fd00::201", "::"} {
		a := a16(miss)
		if got := s.LookupLocalAddr(&a); got != nil {
			t.Errorf("LookupLocalAddr(%s) = %+v, want nil", miss, got)
		}
	}
	if svc := s.Lookup(6, &svcs[0].Addr, 80); svc == nil || svc.FullNAT.ClientAddr != ClientAddrTOA || len(svc.FullNAT.Laddrs) != 2 {
		t.Errorf("service FullNAT part lost: %+v", svc)
	}
	// An empty snapshot finds nothing.
	empty, _ := Build(2, nil, nil, conntrack.DefaultTimeouts())
	if a := a16("198.18.0.200"); empty.LookupLocalAddr(&a) != nil {
		t.Error("lookup in a snapshot without local addresses")
	}
}

func TestSetLocalAddrsRejects(t *testing.T) {
	ok := LocalAddr{ID: 1, Family: 4, Addr: a16("198.18.0.200")}
	tests := []struct {
		name  string
		svcs  []Service
		addrs []LocalAddr
	}{
		{"slot range", nil, []LocalAddr{{ID: MaxLocalAddrs, Family: 4, Addr: a16("198.18.0.1")}}},
		{"no family", nil, []LocalAddr{{ID: 0, Addr: a16("198.18.0.1")}}},
		{"same slot twice", nil, []LocalAddr{ok, {ID: 1, Family: 4, Addr: a16("198.18.0.9")}}},
		{"same address twice", nil, []LocalAddr{ok, {ID: 2, Family: 4, Addr: ok.Addr}}},
		{"service names a hole", []Service{{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), FullNAT: ServiceFullNAT{Laddrs: []uint32{0}}}}, []LocalAddr{ok}},
		{"service names a missing slot", []Service{{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), FullNAT: ServiceFullNAT{Laddrs: []uint32{7}}}}, []LocalAddr{ok}},
	}
	for _, tt := range tests {
		s, err := Build(1, tt.svcs, nil, conntrack.DefaultTimeouts())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetLocalAddrs(tt.addrs); !errors.Is(err, ErrLocalAddr) {
			t.Errorf("%s: %v, want ErrLocalAddr", tt.name, err)
		}
	}
}

func TestLookupLocalAddrAllocatesNothing(t *testing.T) {
	s, _ := Build(1, nil, nil, conntrack.DefaultTimeouts())
	var addrs []LocalAddr
	for i := range MaxLocalAddrs {
		addrs = append(addrs, LocalAddr{ID: uint32(i), Family: 4, Addr: a16(fmt.Sprintf("198.18.%d.%d", i/250, 1+i%250)), Available: true})
	}
	if err := s.SetLocalAddrs(addrs); err != nil {
		t.Fatal(err)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if s.LookupLocalAddr(&addrs[i%len(addrs)].Addr) == nil {
			t.Fatal("miss")
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v", allocs)
	}
}
