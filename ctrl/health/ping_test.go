package health

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// TestPingCheckInNamespace runs PING_CHECK from a director namespace to a
// real-server namespace over a veth pair, IPv4 and IPv6: the live address
// answers, an address with no host behind it fails at connect_timeout, and
// a server whose link goes down leaves the pool and returns.
func TestPingCheckInNamespace(t *testing.T) {
	lab := netlab.NewT(t, "hping")
	dir, err := lab.AddNS("dir")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := lab.AddNS("rs")
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(dir, "eth0", rs, "eth0", netlab.LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		ns   *netlab.NS
		cidr string
	}{{dir, "198.18.7.1/24"}, {dir, "fd00:7::1/64"}, {rs, "198.18.7.2/24"}, {rs, "fd00:7::2/64"}} {
		if err := a.ns.AddAddr("eth0", a.cidr); err != nil {
			t.Fatal(err)
		}
	}
	rec := newRecorder()
	logs := &syncbuf.Buffer{}
	c, err := New(Config{Apply: rec, Log: slog.New(slog.NewTextHandler(logs, nil)), Enter: dir.Do})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping := fast(PingCheck)
	ping.ConnectTimeout = 300 * time.Millisecond
	for _, tc := range []struct {
		target string
		up     bool
	}{
		{"198.18.7.2:0", true},
		{"[fd00:7::2]:0", true},
		{"198.18.7.3:0", false},
		{"[fd00:7::3]:0", false},
	} {
		t.Run(tc.target, func(t *testing.T) {
			res := c.probe(t.Context(), ping, targetOf(real(tc.target, 1), ping))
			if (res.err == nil) != tc.up {
				t.Errorf("ping %s: %v, want up=%v", tc.target, res.err, tc.up)
			}
			if !tc.up && !errors.Is(res.err, ErrCheckTimeout) {
				t.Errorf("ping %s: %v, want a timeout", tc.target, res.err)
			}
		})
	}

	if err := c.Update([]Service{drService(80, real("198.18.7.2:80", 1, ping), real("198.18.7.1:80", 1, ping))}); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), "198.18.7.1:80=1 198.18.7.2:80=1")
	if err := rs.SetDown("eth0"); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), "198.18.7.1:80=1")
	if err := rs.SetUp("eth0"); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), "198.18.7.1:80=1 198.18.7.2:80=1")
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}
