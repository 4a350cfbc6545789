package snapshot

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

func a16(s string) [16]byte { return netip.MustParseAddr(s).As16() }

func TestLookupExactThenPortZero(t *testing.T) {
	svcs := []Service{
		{ID: 3, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80},
		{ID: 7, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 0},
		{ID: 1, Proto: 17, Family: 4, Addr: a16("198.18.0.1"), Port: 80},
		{ID: 2, Proto: 6, Family: 6, Addr: a16("fd00::1"), Port: 443},
	}
	s, err := Build(1, svcs, nil, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		proto uint8
		addr  string
		port  uint16
		want  int // service ID, -1 none
	}{
		{6, "198.18.0.1", 80, 3},
		{6, "198.18.0.1", 22, 7},
		{17, "198.18.0.1", 80, 1},
		{17, "198.18.0.1", 53, -1},
		{6, "fd00::1", 443, 2},
		{6, "fd00::1", 80, -1},
		{6, "198.18.0.2", 80, -1},
	}
	for _, c := range cases {
		a := a16(c.addr)
		got := s.Lookup(c.proto, &a, c.port)
		switch {
		case c.want < 0 && got != nil:
			t.Errorf("%d %s:%d found service %d, want none", c.proto, c.addr, c.port, got.ID)
		case c.want >= 0 && (got == nil || got.ID != uint32(c.want)):
			t.Errorf("%d %s:%d found %v, want service %d", c.proto, c.addr, c.port, got, c.want)
		}
	}
}

func TestBuildRejectsDuplicatesAndBadSlots(t *testing.T) {
	dup := []Service{
		{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80},
		{ID: 1, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80},
	}
	if _, err := Build(1, dup, nil, conntrack.DefaultTimeouts()); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate services: err %v, want ErrDuplicate", err)
	}
	if _, err := Build(1, []Service{{ID: MaxServices}}, nil, conntrack.DefaultTimeouts()); !errors.Is(err, ErrSlotRange) {
		t.Errorf("service slot out of range: err %v", err)
	}
	if _, err := Build(1, nil, []Dest{{ID: MaxDests}}, conntrack.DefaultTimeouts()); !errors.Is(err, ErrSlotRange) {
		t.Errorf("dest slot out of range: err %v", err)
	}
}

func TestLookupManyServicesAllocatesNothing(t *testing.T) {
	var svcs []Service
	for i := 0; i < 1000; i++ {
		svcs = append(svcs, Service{ID: uint32(i), Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: uint16(1000 + i)})
	}
	s, err := Build(1, svcs, nil, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		a := a16("198.18.0.1")
		if got := s.Lookup(6, &a, uint16(1000+i)); got == nil || got.ID != uint32(i) {
			t.Fatalf("service %d not found", i)
		}
	}
	a := a16("198.18.0.1")
	if n := testing.AllocsPerRun(100, func() { s.Lookup(6, &a, 1500) }); n != 0 {
		t.Errorf("Lookup allocates %.0f times", n)
	}
}
