package netinfo

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/internal/netlab"
)

// settle bounds how long a test waits for the kernel and the resolver to
// reach an expected state. It is a generous bound, not a speed assertion.
const settle = 10 * time.Second

// Addresses of the two-namespace topology: the director ("dir") runs the
// resolver; the peer plays a real server or a gateway.
var (
	dirV4  = netip.MustParseAddr("198.18.1.1")
	peerV4 = netip.MustParseAddr("198.18.1.2")
	dirV6  = netip.MustParseAddr("fd00:1::1")
	peerV6 = netip.MustParseAddr("fd00:1::2")
)

// topo is two namespaces joined by a veth pair, eth0 on both sides.
type topo struct {
	lab       *netlab.Lab
	dir, peer *netlab.NS
	dirIndex  int
	dirMAC    [6]byte
}

// newTopo builds the topology. Duplicate address detection is off so that
// IPv6 addresses (including link-local ones, which Neighbour Discovery
// uses as source) are usable at once; IPv6 addresses survive an
// administrative link down, as they do for IPv4.
func newTopo(t testing.TB) *topo {
	t.Helper()
	lab := netlab.NewT(t, "netinfo")
	tp := &topo{lab: lab}
	var err error
	tp.dir, err = lab.AddNS("dir")
	mustDo(t, err)
	tp.peer, err = lab.AddNS("peer")
	mustDo(t, err)
	for _, ns := range []*netlab.NS{tp.dir, tp.peer} {
		for _, k := range []string{"all", "default"} {
			mustDo(t, ns.SetSysctl("net/ipv6/conf/"+k+"/accept_dad", "0"))
		}
		mustDo(t, ns.SetSysctl("net/ipv6/conf/all/keep_addr_on_down", "1"))
	}
	mustDo(t, lab.Veth(tp.dir, "eth0", tp.peer, "eth0", netlab.LinkOptions{MTU: 1500}))
	mustDo(t, tp.dir.AddAddr("eth0", "198.18.1.1/24"))
	mustDo(t, tp.dir.AddAddr("eth0", "fd00:1::1/64"))
	mustDo(t, tp.peer.AddAddr("eth0", "198.18.1.2/24"))
	mustDo(t, tp.peer.AddAddr("eth0", "fd00:1::2/64"))
	tp.dirIndex, err = tp.dir.LinkIndex("eth0")
	mustDo(t, err)
	mac, err := tp.dir.MAC("eth0")
	mustDo(t, err)
	tp.dirMAC = mac6(mac)
	return tp
}

// newResolver starts a resolver inside the director's namespace and closes
// it when the test ends (before the lab is removed).
func (tp *topo) newResolver(t testing.TB, opts Options) *Resolver {
	t.Helper()
	return tp.newResolverLog(t, opts, testLogger(t))
}

// newResolverLog is newResolver with an explicit logger.
func (tp *topo) newResolverLog(t testing.TB, opts Options, log *slog.Logger) *Resolver {
	t.Helper()
	var r *Resolver
	err := tp.dir.Do(func() error {
		var err error
		r, err = NewResolverWithOptions(log, opts)
		return err
	})
	if err != nil {
		t.Fatalf("NewResolverWithOptions in %s: %v", tp.dir.Name, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// peerMAC returns the peer's current MAC address.
func (tp *topo) peerMAC(t testing.TB) [6]byte {
	t.Helper()
	mac, err := tp.peer.MAC("eth0")
	mustDo(t, err)
	return mac6(mac)
}

// peerLinkLocal returns the peer's IPv6 link-local address on eth0.
func (tp *topo) peerLinkLocal(t *testing.T) netip.Addr {
	t.Helper()
	link, err := tp.peer.Link("eth0")
	mustDo(t, err)
	addrs, err := tp.peer.Netlink.AddrList(link, netlink.FAMILY_V6)
	mustDo(t, err)
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.IsLinkLocalUnicast() {
			return ip
		}
	}
	t.Fatalf("peer %s has no IPv6 link-local address on eth0", tp.peer.Name)
	return netip.Addr{}
}

// setPeerMAC gives the peer's eth0 a new MAC address while it stays up.
func (tp *topo) setPeerMAC(t *testing.T, mac [6]byte) {
	t.Helper()
	link, err := tp.peer.Link("eth0")
	mustDo(t, err)
	if err := tp.peer.Netlink.LinkSetHardwareAddr(link, mac[:]); err != nil {
		t.Fatalf("set peer MAC %s: %v", macString(mac), err)
	}
}

// dirNeighs returns the director's neighbour entries for addr on eth0.
func (tp *topo) dirNeighs(t *testing.T, addr netip.Addr) []netlink.Neigh {
	t.Helper()
	all, err := tp.dir.Netlink.NeighList(tp.dirIndex, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatalf("list neighbours in %s: %v", tp.dir.Name, err)
	}
	var out []netlink.Neigh
	for _, n := range all {
		if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == addr {
			out = append(out, n)
		}
	}
	return out
}

// flushDirNeigh deletes the director's neighbour entry for addr.
func (tp *topo) flushDirNeigh(t *testing.T, addr netip.Addr) {
	t.Helper()
	for _, n := range tp.dirNeighs(t, addr) {
		if err := tp.dir.Netlink.NeighDel(&n); err != nil {
			t.Fatalf("delete neighbour %s in %s: %v", addr, tp.dir.Name, err)
		}
	}
}

// eventually polls cond until it returns nil or the settle time passes.
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v: %v", what, settle, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resolvedTo is a condition: addr has a resolved next hop with DstMAC mac.
func resolvedTo(r *Resolver, addr netip.Addr, mac [6]byte) func() error {
	return func() error {
		nh, ok := r.Lookup(addr)
		switch {
		case !ok:
			return fmt.Errorf("Lookup(%s): no route", addr)
		case !nh.Resolved:
			return fmt.Errorf("Lookup(%s): unresolved", addr)
		case nh.DstMAC != mac:
			return fmt.Errorf("Lookup(%s): DstMAC %s, want %s", addr, macString(nh.DstMAC), macString(mac))
		}
		return nil
	}
}

// noRoute is a condition: addr has no next hop.
func noRoute(r *Resolver, addr netip.Addr) func() error {
	return func() error {
		if nh, ok := r.Lookup(addr); ok {
			return fmt.Errorf("Lookup(%s) = %+v, true", addr, nh)
		}
		return nil
	}
}

// drain consumes a pending Changes signal.
func drain(r *Resolver) {
	select {
	case <-r.Changes():
	default:
	}
}

// waitSignal fails the test unless Changes is signalled within settle.
func waitSignal(t *testing.T, r *Resolver, why string) {
	t.Helper()
	select {
	case <-r.Changes():
	case <-time.After(settle):
		t.Fatalf("Changes not signalled within %v after %s", settle, why)
	}
}

func mac6(hw net.HardwareAddr) [6]byte {
	var m [6]byte
	copy(m[:], hw)
	return m
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestMain fails the package if any resolver or netlink subscription
// goroutine outlives the tests: Close must stop everything it started.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(2 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func leakedGoroutines(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range bytes.Split(buf, []byte("\n\n")) {
			s := string(g)
			if strings.Contains(s, "github.com/vishvananda/netlink.") ||
				strings.Contains(s, "github.com/xlvs/xlvs/ctrl/netinfo.(*") {
				leaked = append(leaked, s)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
