package model_test

import (
	"bytes"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// syncBuffer is a log destination the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// localHarness is a harness whose director owns the addresses local.
func localHarness(t *testing.T, local ...string) (*harness, *syncBuffer) {
	h := &harness{t: t, nh: newFakeNextHops(), st: fakedp.New()}
	own := map[netip.Addr]bool{}
	for _, a := range local {
		own[netip.MustParseAddr(a)] = true
	}
	log := &syncBuffer{}
	h.m = model.New(model.Config{
		Links: testLinks, NextHops: h.nh, Stats: h.st, Conns: h.st, Publish: h.publish, ConnTabSize: 4096,
		IsLocal: func(a netip.Addr) bool { return own[a.Unmap()] },
		Log:     slog.New(slog.NewTextHandler(log, nil)),
	})
	return h, log
}

// A real server at one of the director's addresses is a local node
// whatever method was asked for, as IPVS made it: listed as Local, saved
// as -g, compiled for the local stack, and never resolved as a next hop.
func TestLocalNodeRealServers(t *testing.T) {
	h, log := localHarness(t, "198.18.0.1", "198.18.0.100", "fd00:18::1", "fd00:18::100")
	for _, line := range []string{
		"-A -t 198.18.0.100:80 -s rr",
		"-a -t 198.18.0.100:80 -r 198.18.0.11 -g",
		"-a -t 198.18.0.100:80 -r 198.18.0.1 -m -w 2",
		"-A -t [fd00:18::100]:80 -s rr",
		"-a -t [fd00:18::100]:80 -r [fd00:18::1]:80 -i",
	} {
		if r := ipvsadmRun(h, "", strings.Fields(line)...); r != (result{}) {
			t.Fatalf("ipvsadm %s: %+v", line, r)
		}
	}
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  198.18.0.100:80 rr\n" +
		"  -> 198.18.0.1:80                Local   2      0          0         \n" +
		"  -> 198.18.0.11:80               Route   1      0          0         \n" +
		"TCP  [fd00:18::100]:80 rr\n" +
		"  -> [fd00:18::1]:80              Local   1      0          0         \n"
	if r := ipvsadmRun(h, "", "-L", "-n"); r.stdout != want {
		t.Errorf("-L -n:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r := ipvsadmRun(h, "", "-S", "-n"); !strings.Contains(r.stdout, "-a -t 198.18.0.100:80 -r 198.18.0.1:80 -g -w 2\n") ||
		!strings.Contains(r.stdout, "-a -t [fd00:18::100]:80 -r [fd00:18::1]:80 -g -w 1\n") {
		t.Errorf("-S -n:\n%s", r.stdout)
	}
	s := h.last()
	n := 0
	for _, d := range s.Dests {
		if d.Available && (netip.AddrFrom16(d.Addr).Unmap() == netip.MustParseAddr("198.18.0.1") || netip.AddrFrom16(d.Addr) == netip.MustParseAddr("fd00:18::1")) {
			n++
			if d.Method != snapshot.MethodLocal || d.NextHop.Valid || d.TunType != 0 {
				t.Errorf("local real server in the snapshot: %+v", d)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d local real servers in the snapshot, want 2", n)
	}
	h.nh.mu.Lock()
	watched := slices.Clone(h.nh.watched)
	h.nh.mu.Unlock()
	if slices.Contains(watched, netip.MustParseAddr("198.18.0.1")) || !slices.Contains(watched, netip.MustParseAddr("198.18.0.11")) {
		t.Errorf("watched next hops %v: the remote server, not the director's own address", watched)
	}
	// Edited with another method, it stays local.
	if r := ipvsadmRun(h, "", "-e", "-t", "198.18.0.100:80", "-r", "198.18.0.1", "-m", "-w", "3"); r != (result{}) {
		t.Fatalf("-e: %+v", r)
	}
	if r := ipvsadmRun(h, "", "-L", "-n", "-t", "198.18.0.100:80"); !strings.Contains(r.stdout, "  -> 198.18.0.1:80                Local   3 ") {
		t.Errorf("after -e:\n%s", r.stdout)
	}
	if strings.Contains(log.String(), "VIP is not an address") {
		t.Errorf("warned about a local VIP:\n%s", log)
	}
}

// A local node of a service whose VIP is not the director's is accepted,
// as IPVS accepts it, with a warning; the local-node method asked for an
// address that is not local is refused.
func TestLocalNodeChecks(t *testing.T) {
	h, log := localHarness(t, "198.18.0.1")
	if r := ipvsadmRun(h, "", "-A", "-t", "198.18.0.200:80"); r != (result{}) {
		t.Fatal(r)
	}
	if r := ipvsadmRun(h, "", "-a", "-t", "198.18.0.200:80", "-r", "198.18.0.1"); r != (result{}) {
		t.Fatal(r)
	}
	if !strings.Contains(log.String(), "VIP is not an address of the director") || !strings.Contains(log.String(), "server=198.18.0.1:80") {
		t.Errorf("no warning about the VIP:\n%s", log)
	}
	d := &api.Dest{Addr: netip.MustParseAddr("198.18.0.12"), Port: 80, Method: api.MethodLocal, Weight: 1}
	h.refused(destReq(api.OpAddDest, tcp("198.18.0.200", 80), d), api.CodeInvalid, "Invalid operation.  Possibly wrong module version, address not unicast, ...")
}
