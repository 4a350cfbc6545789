package netlab

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// pair makes two namespaces joined by a veth pair eth0<->eth0 with
// 198.18.0.1/24 + fd00:18::1/64 on a and .2/::2 on b.
func pair(t *testing.T, lab *Lab, o LinkOptions) (a, b *NS) {
	t.Helper()
	a = mustNS(t, lab, "a")
	b = mustNS(t, lab, "b")
	if err := lab.Veth(a, "eth0", b, "eth0", o); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		ns   *NS
		cidr string
	}{{a, "198.18.0.1/24"}, {a, "fd00:18::1/64"}, {b, "198.18.0.2/24"}, {b, "fd00:18::2/64"}} {
		if err := s.ns.AddAddr("eth0", s.cidr); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

func mustNS(t *testing.T, lab *Lab, name string) *NS {
	t.Helper()
	ns, err := lab.AddNS(name)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// echoOnce accepts one connection on ln and echoes it back.
func echoOnce(t *testing.T, ln net.Listener) {
	t.Helper()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
}

// roundTrip sends payload over TCP from ns to addr (an echo server) and
// checks it comes back intact.
func roundTrip(t *testing.T, ns *NS, addr string, size int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ns.DialTCP(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read echo from %s: %v", addr, err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	if !slices.Equal(got, payload) {
		t.Fatalf("echo from %s: got %d bytes, want %d identical bytes", addr, len(got), len(payload))
	}
}

func TestNamespacesAndLinksAreRemovedOnClose(t *testing.T) {
	lab := NewT(t, "life")
	other := NewT(t, "witness") // holds the far end of a veth into lab
	a, b := pair(t, lab, LinkOptions{MTU: 1400, Queues: 2})
	w := mustNS(t, other, "w")
	if err := lab.Veth(a, "tow", w, "froma", LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*NS{a, b} {
		if !strings.HasSuffix(ns.Name, "-"+lab.ID) {
			t.Errorf("namespace name %q lacks lab id suffix %q", ns.Name, lab.ID)
		}
		if _, err := os.Stat(ns.Path); err != nil {
			t.Errorf("namespace %s not mounted: %v", ns.Name, err)
		}
		links, err := ns.Links()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(links, "eth0") || !slices.Contains(links, "lo") {
			t.Errorf("links in %s = %v, want lo and eth0", ns.Name, links)
		}
		link, err := ns.Link("eth0")
		if err != nil {
			t.Fatal(err)
		}
		at := link.Attrs()
		if at.MTU != 1400 || at.NumTxQueues != 2 || at.NumRxQueues != 2 {
			t.Errorf("%s eth0: mtu %d txq %d rxq %d, want 1400 2 2", ns.Name, at.MTU, at.NumTxQueues, at.NumRxQueues)
		}
		if at.Flags&net.FlagUp == 0 {
			t.Errorf("%s eth0 is not up", ns.Name)
		}
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, ns := range []*NS{a, b} {
		if _, err := os.Stat(ns.Path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Close (stat: %v)", ns.Path, err)
		}
	}
	ents, _ := os.ReadDir(RunDir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), lab.ID) {
			t.Errorf("%s/%s left behind", RunDir, e.Name())
		}
	}
	// The namespace itself is destroyed (asynchronously) once nothing refers
	// to it; then the veth end in the witness namespace disappears too.
	deadline := time.Now().Add(10 * time.Second)
	for {
		links, err := w.Links()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(links, "froma") {
			break
		}
		if time.Now().After(deadline) {
			for _, e := range must(os.ReadDir("/proc/self/task")) {
				l, _ := os.Readlink("/proc/self/task/" + e.Name() + "/ns/net")
				t.Logf("task %s: %s", e.Name(), l)
			}
			t.Logf("ns ino %d", a.ino)
			t.Fatalf("veth peer froma still in witness namespace: lab namespace %s was not destroyed", a.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := lab.AddNS("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("AddNS after Close: err = %v, want ErrClosed", err)
	}
	if err := a.AddAddr("eth0", "198.18.0.9/24"); !errors.Is(err, ErrClosed) {
		t.Errorf("AddAddr after Close: err = %v, want ErrClosed", err)
	}
}

func TestTCPOverVeth(t *testing.T) {
	lab := NewT(t, "tcp")
	a, b := pair(t, lab, LinkOptions{TxChecksumOff: true})
	for _, addr := range []string{"198.18.0.2:8080", "[fd00:18::2]:8080"} {
		ln, err := b.ListenTCP(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		echoOnce(t, ln)
		roundTrip(t, a, addr, 100_000)
	}
}

func TestBridgeConnectsThreeNamespaces(t *testing.T) {
	lab := NewT(t, "br")
	lan := mustNS(t, lab, "lan")
	hosts := make([]*NS, 3)
	for i := range hosts {
		hosts[i] = mustNS(t, lab, string(rune('x'+i)))
		port := "p" + string(rune('x'+i))
		if err := lab.Veth(hosts[i], "eth0", lan, port, LinkOptions{TxChecksumOff: true}); err != nil {
			t.Fatal(err)
		}
		if err := hosts[i].AddAddr("eth0", "198.18.1."+string(rune('1'+i))+"/24"); err != nil {
			t.Fatal(err)
		}
	}
	if err := lab.Bridge(lan, "br0", "px", "py", "pz"); err != nil {
		t.Fatal(err)
	}
	for i := range hosts {
		addr := "198.18.1." + string(rune('1'+i)) + ":7"
		ln, err := hosts[i].ListenTCP(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		for j := range hosts {
			if j != i {
				echoOnce(t, ln)
				roundTrip(t, hosts[j], addr, 20_000)
			}
		}
	}
}

func TestTxChecksumToggle(t *testing.T) {
	lab := NewT(t, "csum")
	a, b := pair(t, lab, LinkOptions{TxChecksumOff: true})
	for _, ns := range []*NS{a, b} {
		on, err := ns.TxChecksum("eth0")
		if err != nil {
			t.Fatal(err)
		}
		if on {
			t.Errorf("%s eth0: tx checksum offload on, want off (TxChecksumOff)", ns.Name)
		}
	}
	if err := a.SetTxChecksum("eth0", true); err != nil {
		t.Fatal(err)
	}
	if on, err := a.TxChecksum("eth0"); err != nil || !on {
		t.Errorf("after SetTxChecksum(true): on=%v err=%v, want on", on, err)
	}
	if on, err := b.TxChecksum("eth0"); err != nil || on {
		t.Errorf("peer changed too: on=%v err=%v, want off", on, err)
	}
	c, d := mustNS(t, lab, "c"), mustNS(t, lab, "d")
	if err := lab.Veth(c, "eth0", d, "eth0", LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	if on, err := c.TxChecksum("eth0"); err != nil || !on {
		t.Errorf("veth default: on=%v err=%v, want on", on, err)
	}
	if _, err := a.TxChecksum("nosuch0"); err == nil {
		t.Error("TxChecksum of a missing interface succeeded")
	}
}

func TestCloseAfterPartialFailure(t *testing.T) {
	RequireRoot(t)
	lab, err := New("partial")
	if err != nil {
		t.Fatal(err)
	}
	a := mustNS(t, lab, "a")
	b := mustNS(t, lab, "b")
	if err := lab.Veth(a, "eth0", b, "eth0", LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(a, "eth0", b, "eth1", LinkOptions{}); err == nil {
		t.Fatal("duplicate veth name eth0 accepted")
	}
	if _, err := lab.AddNS("a"); err == nil {
		t.Fatal("duplicate namespace accepted")
	}
	if err := a.AddAddr("eth0", "not-an-address"); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("AddAddr(bad): %v, want ErrBadAddress", err)
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("Close after failures: %v", err)
	}
	for _, ns := range []*NS{a, b} {
		if _, err := os.Stat(ns.Path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", ns.Path)
		}
	}
}

func TestParallelLabsGetUniqueNames(t *testing.T) {
	RequireRoot(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 4 {
		t.Run(string(rune('0'+i)), func(t *testing.T) {
			t.Parallel()
			lab := NewT(t, "par")
			a, b := pair(t, lab, LinkOptions{TxChecksumOff: true})
			mu.Lock()
			for _, n := range []string{a.Name, b.Name} {
				if seen[n] {
					t.Errorf("namespace name %s used twice", n)
				}
				seen[n] = true
			}
			mu.Unlock()
			ln, err := b.ListenTCP("198.18.0.2:9000")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			echoOnce(t, ln)
			roundTrip(t, a, "198.18.0.2:9000", 50_000)
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
