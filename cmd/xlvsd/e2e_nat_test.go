package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// newNATHarness builds the two-armed NAT lab (o) in a lab unique to t and
// starts the real servers on the mapped ports. The harness drives the
// director and the client through the namespaces of its DR fields.
func newNATHarness(t *testing.T, name string, o labtraffic.NATOptions) (*harness, *labtraffic.NAT) {
	t.Helper()
	h := newLabHarness(t, name)
	nat, err := labtraffic.NewNAT(h.lab, o)
	if err != nil {
		t.Fatalf("building the NAT lab: %v", err)
	}
	h.serve(&labtraffic.DR{LAN: nat.LAN, Client: nat.Client, Director: nat.Director, RS: nat.RS}, nat.ServeRealServers)
	return h, nat
}

// addMappedServices adds, for VIP4 and VIP6, TCP port 80 and UDP port 53
// services (rr) with the lab's two real servers of the VIP's family on
// the mapped ports (NATTCPPort, NATUDPPort), forwarded by the ipvsadm
// method flags tcpMethod and udpMethod ("-m", "-b", "--fullnat").
func (h *harness) addMappedServices(tcpMethod, udpMethod string) {
	h.t.Helper()
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		rs := labtraffic.NATRSAddr4
		if vip.Is6() {
			rs = labtraffic.NATRSAddr6
		}
		h.adm("-A", "-t", ap(vip, 80), "-s", "rr")
		h.adm("-A", "-u", ap(vip, 53), "-s", "rr")
		for i := 0; i < 2; i++ {
			h.adm("-a", "-t", ap(vip, 80), "-r", ap(rs(i), labtraffic.NATTCPPort), tcpMethod)
			h.adm("-a", "-u", ap(vip, 53), "-r", ap(rs(i), labtraffic.NATUDPPort), udpMethod)
		}
	}
}

func ap(a netip.Addr, port int) string { return netip.AddrPortFrom(a, uint16(port)).String() }

// TestNATEndToEnd: NAT services with port mapping (80 → 8080, 53 → 5353),
// TCP and UDP, IPv4 and IPv6, two real servers, two queues and workers:
// replies come back on whichever queue the real server's side hashes them
// to and are handed to the connection's owner.
func TestNATEndToEnd(t *testing.T) {
	h, _ := newNATHarness(t, "nat", labtraffic.NATOptions{RealServers: 2, Queues: 2})
	d := h.startDirector("--interface", "eth1")
	h.addMappedServices("-m", "-m")
	listing := h.adm("-L", "-n")
	if want := fmt.Sprintf("  -> %-28s Masq    1", ap(labtraffic.NATRSAddr4(0), 8080)); !strings.Contains(listing, want) {
		t.Errorf("listing does not show the NAT real server with its mapped port:\n%s", listing)
	}
	plan := labtraffic.Plan{
		TCP:   []string{ap(labtraffic.VIP4, 80), ap(labtraffic.VIP6, 80)},
		UDP:   []string{ap(labtraffic.VIP4, 53), ap(labtraffic.VIP6, 53)},
		Conns: 16, Datagrams: 16, Bytes: 64 << 10,
	}
	rep := h.traffic(plan)
	// Each worker runs its own rr: both servers answer, in proportions
	// that depend on how flows spread over the workers.
	for _, tg := range rep.Targets {
		if tg.PerServer["rs1"] == 0 || tg.PerServer["rs2"] == 0 {
			t.Errorf("%s %s: answered by %v, want both real servers", tg.Proto, tg.Addr, tg.PerServer)
		}
	}
	c := h.counters()
	t.Logf("handoffs out %d in %d, xdp steer-nat-reply %d", c["handoff-out"], c["handoff-in"], c["xdp-steer-nat-reply"])
	if c["xdp-steer-nat-reply"] == 0 {
		t.Errorf("the XDP program steered no NAT reply")
	}
	if c["handoff-in"] == 0 {
		t.Errorf("no frame crossed between the two workers; the test did not exercise replies on the other queue")
	}
	if c["drop-no-connection"] != 0 || c["drop-reply-tuple-in-use"] != 0 {
		t.Errorf("replies dropped: no-connection %d, reply-tuple-in-use %d", c["drop-no-connection"], c["drop-reply-tuple-in-use"])
	}
	// Every real server sent replies through the director (OutPkts).
	stats := h.adm("-L", "-n", "--stats")
	for _, line := range strings.Split(stats, "\n") {
		f := strings.Fields(line)
		if len(f) == 7 && f[0] == "->" {
			if out, _ := strconv.Atoi(f[3]); out == 0 {
				t.Errorf("real server line with no OutPkts: %q", line)
			}
		}
	}
	checkFrameAccounting(t, d.stop(), 2)
}

// TestNATPortUnreachableReachesClient: the real server answers a datagram
// to a port nothing listens on with ICMP port unreachable; the director
// translates it (outer source and quoted destination back to the VIP) and
// the client's connected socket reports "connection refused".
func TestNATPortUnreachableReachesClient(t *testing.T) {
	h, nat := newNATHarness(t, "natic", labtraffic.NATOptions{RealServers: 1})
	d := h.startDirector("--interface", "eth1")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		rs := labtraffic.NATRSAddr4(0)
		if vip.Is6() {
			rs = labtraffic.NATRSAddr6(0)
		}
		h.adm("-A", "-u", ap(vip, 54), "-s", "rr")
		h.adm("-a", "-u", ap(vip, 54), "-r", ap(rs, 5454), "-m")
	}
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := nat.Client.DialUDP(ctx, ap(vip, 54))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		refused := false
		for try := 0; try < 10 && !refused; try++ {
			if _, err := conn.Write([]byte("anyone?")); err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("write to %v: %v", vip, err)
			}
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			_, err := conn.Read(make([]byte, 64))
			refused = errors.Is(err, syscall.ECONNREFUSED)
		}
		conn.Close()
		if !refused {
			t.Errorf("%v: the client never saw the port unreachable (counters:%s)", vip, h.tryCounters())
		}
	}
	if c := h.counters(); c["xdp-steer-icmp-error"] == 0 {
		t.Errorf("the XDP program steered no ICMP error")
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// TestTunnelEndToEnd: IPIP and GUE as the real server receives them
// (captured on its link: the machines here have no ipip/fou module to
// decapsulate), and ICMP fragmentation-needed / packet-too-big for a DF
// packet too big for the tunnel, seen by the client as its path MTU.
func TestTunnelEndToEnd(t *testing.T) {
	h, nat := newNATHarness(t, "tun", labtraffic.NATOptions{RealServers: 1})
	d := h.startDirector("--interface", "eth1")
	rs4, rs6 := labtraffic.NATRSAddr4(0), labtraffic.NATRSAddr6(0)
	h.adm("-A", "-u", ap(labtraffic.VIP4, 53), "-s", "rr")
	h.adm("-a", "-u", ap(labtraffic.VIP4, 53), "-r", rs4.String(), "-i")
	h.adm("-A", "-u", ap(labtraffic.VIP6, 53), "-s", "rr")
	h.adm("-a", "-u", ap(labtraffic.VIP6, 53), "-r", rs6.String(), "-i")
	cap := captureOn(t, nat.RS[0], "eth0")

	payload := []byte("tunnelled datagram")
	send := func(vip netip.Addr) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := nat.Client.DialUDP(ctx, ap(vip, 53))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	inner := func(vip netip.Addr) []testpkt.Checker {
		return []testpkt.Checker{testpkt.Dst(vip), testpkt.DstPort(53), testpkt.Payload(payload), testpkt.ValidChecksums()}
	}
	f := cap.nextResending(t, func() { send(labtraffic.VIP4) }, func(f *testpkt.Frame) bool { return f.Proto == header.IPProtoIPIP })
	testpkt.Check(t, f, testpkt.Src(labtraffic.DirectorSrvAddr4), testpkt.Dst(rs4), testpkt.ValidChecksums(),
		testpkt.Inner(append(inner(labtraffic.VIP4), testpkt.Src(labtraffic.ClientAddr4))...))
	f = cap.nextResending(t, func() { send(labtraffic.VIP6) }, func(f *testpkt.Frame) bool { return f.Proto == header.IPProtoIPv6 })
	testpkt.Check(t, f, testpkt.Src(labtraffic.DirectorSrvAddr6), testpkt.Dst(rs6),
		testpkt.Inner(append(inner(labtraffic.VIP6), testpkt.Src(labtraffic.ClientAddr6))...))

	h.adm("-e", "-u", ap(labtraffic.VIP4, 53), "-r", rs4.String(), "-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-csum")
	if got := h.adm("-L", "-n", "--tun-info"); !strings.Contains(got, "gue:6080:+c") {
		t.Errorf("--tun-info listing does not show the GUE tunnel:\n%s", got)
	}
	f = cap.nextResending(t, func() { send(labtraffic.VIP4) }, func(f *testpkt.Frame) bool {
		return f.Proto == header.IPProtoUDP && len(f.L4) > 12 && header.UDP(f.L4).DestinationPort() == 6080
	})
	testpkt.Check(t, f, testpkt.Src(labtraffic.DirectorSrvAddr4), testpkt.Dst(rs4), testpkt.ValidChecksums())
	g := mustDecodeFrame(t, f)
	if !bytes.Equal(g.L4[8:12], []byte{0, header.IPProtoIPIP, 0, 0}) {
		t.Errorf("GUE header % x, want version 0, protocol 4", g.L4[8:12])
	}
	testpkt.CheckIP(t, g.L4[12:], append(inner(labtraffic.VIP4), testpkt.Src(labtraffic.ClientAddr4))...)

	// Too big for the tunnel: a 1500-byte DF datagram needs 1520 (IPIP)
	// or 1540 (IPv6 in IPv6) on a 1500-byte link.
	checkPathMTU(t, nat.Client, labtraffic.VIP6, 1500-40)
	h.adm("-e", "-u", ap(labtraffic.VIP4, 53), "-r", rs4.String(), "-i")
	checkPathMTU(t, nat.Client, labtraffic.VIP4, 1500-20)
	if c := h.counters(); c["drop-too-big-icmp-sent"] < 2 {
		t.Errorf("too-big-icmp-sent %d, want at least 2", c["drop-too-big-icmp-sent"])
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// checkPathMTU sends datagrams of a full 1500-byte packet with DF to
// vip:53 from the client until its kernel's path MTU to vip is want (it
// learnt it from the director's ICMP error), then checks that a datagram
// filling that MTU is accepted.
func checkPathMTU(t *testing.T, client *netlab.NS, vip netip.Addr, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := client.DialUDP(ctx, ap(vip, 53))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	level, disc, mtuOpt, hdr := syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, syscall.IP_MTU, 20+8
	if vip.Is6() {
		level, disc, mtuOpt, hdr = syscall.IPPROTO_IPV6, syscall.IPV6_MTU_DISCOVER, syscall.IPV6_MTU, 40+8
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	getMTU := func() int {
		var mtu int
		raw.Control(func(fd uintptr) {
			mtu, _ = syscall.GetsockoptInt(int(fd), level, mtuOpt)
		})
		return mtu
	}
	raw.Control(func(fd uintptr) {
		if err := syscall.SetsockoptInt(int(fd), level, disc, 2 /* IP_PMTUDISC_DO */); err != nil {
			t.Fatal(err)
		}
	})
	mtu := 0
	for try := 0; try < 25; try++ {
		conn.Write(make([]byte, 1500-hdr)) // EMSGSIZE once the kernel knows better
		time.Sleep(200 * time.Millisecond)
		if mtu = getMTU(); mtu == want {
			break
		}
	}
	if mtu != want {
		t.Fatalf("client's path MTU to %v is %d, want %d", vip, mtu, want)
	}
	// The ICMP error left a pending EMSGSIZE on the connected socket;
	// reading SO_ERROR clears it.
	raw.Control(func(fd uintptr) { syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR) })
	if _, err := conn.Write(make([]byte, want-hdr)); err != nil {
		t.Errorf("a datagram that fits the path MTU: %v", err)
	}
}

// capture is an AF_PACKET socket on one link of a namespace.
type capture struct{ fd int }

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func captureOn(t *testing.T, ns *netlab.NS, dev string) *capture {
	t.Helper()
	c := &capture{fd: -1}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(syscall.ETH_P_ALL)))
		if err != nil {
			return err
		}
		c.fd = fd
		return syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if c.fd >= 0 {
		t.Cleanup(func() { syscall.Close(c.fd) })
	}
	if err != nil {
		t.Fatalf("capture on %s/%s: %v", ns, dev, err)
	}
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return c
}

// nextResending returns the first captured frame for which match holds,
// for a datagram the network may lose: it calls send, then again each
// second no matching frame arrived, for up to 10 s.
func (c *capture) nextResending(t *testing.T, send func(), match func(*testpkt.Frame) bool) []byte {
	t.Helper()
	buf := make([]byte, 9000)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		send()
		for resend := time.Now().Add(time.Second); time.Now().Before(resend); {
			n, _, err := syscall.Recvfrom(c.fd, buf, 0)
			if err != nil {
				continue
			}
			if f, err := testpkt.Decode(buf[:n]); err == nil && match(f) {
				return append([]byte(nil), buf[:n]...)
			}
		}
	}
	t.Fatal("no matching frame captured within 10s")
	return nil
}

func mustDecodeFrame(t *testing.T, b []byte) *testpkt.Frame {
	t.Helper()
	f, err := testpkt.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
