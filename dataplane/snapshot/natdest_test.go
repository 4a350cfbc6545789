package snapshot

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

func TestLookupNATDest(t *testing.T) {
	svcs := []Service{
		{ID: 0, Proto: 6, Family: 4, Addr: a16("198.18.0.1"), Port: 80, Dests: []uint32{0, 1, 2}},
		{ID: 1, Proto: 17, Family: 4, Addr: a16("198.18.0.1"), Port: 0, Dests: []uint32{3}},
		{ID: 2, Proto: 6, Family: 6, Addr: a16("fd00::1"), Port: 80, Dests: []uint32{4}},
	}
	dests := []Dest{
		{ID: 0, Service: 0, Addr: a16("198.18.1.1"), Port: 8080, Method: MethodMasq, Available: true},
		{ID: 1, Service: 0, Addr: a16("198.18.1.2"), Port: 80, Method: MethodRoute, Available: true},
		{ID: 2, Service: 0, Addr: a16("198.18.1.3"), Port: 80, Method: MethodMasq, Available: false},
		{ID: 3, Service: 1, Addr: a16("198.18.1.4"), Port: 0, Method: MethodMasq, Available: true},
		{ID: 4, Service: 2, Addr: a16("fd00:1::1"), Port: 8080, Method: MethodMasq, Available: true},
	}
	s, err := Build(1, svcs, dests, conntrack.DefaultTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		proto uint8
		addr  string
		port  uint16
		want  int
	}{
		{6, "198.18.1.1", 8080, 0},
		{6, "198.18.1.1", 80, -1},    // not the real server's port
		{17, "198.18.1.1", 8080, -1}, // not its protocol
		{6, "198.18.1.2", 80, -1},    // DR
		{6, "198.18.1.3", 80, -1},    // deleted
		{17, "198.18.1.4", 5353, 3},  // port 0: any port
		{6, "fd00:1::1", 8080, 4},
	}
	for _, c := range cases {
		a := a16(c.addr)
		got := s.LookupNATDest(c.proto, &a, c.port)
		switch {
		case c.want < 0 && got != nil:
			t.Errorf("%d %s:%d found dest %d, want none", c.proto, c.addr, c.port, got.ID)
		case c.want >= 0 && (got == nil || got.ID != uint32(c.want)):
			t.Errorf("%d %s:%d found %v, want dest %d", c.proto, c.addr, c.port, got, c.want)
		}
	}
	a := a16("198.18.1.1")
	if n := testing.AllocsPerRun(100, func() { s.LookupNATDest(6, &a, 8080) }); n != 0 {
		t.Errorf("LookupNATDest allocates %.0f times", n)
	}
}
