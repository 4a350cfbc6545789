package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// newFullNATHarness builds the FULLNAT lab (real servers without any
// route to the client) in a lab unique to t and starts the echo servers.
func newFullNATHarness(t *testing.T, name string, o labtraffic.NATOptions) (*harness, *labtraffic.FullNAT) {
	t.Helper()
	h := newLabHarness(t, name)
	fn, err := labtraffic.NewFullNAT(h.lab, o)
	if err != nil {
		t.Fatalf("building the FULLNAT lab: %v", err)
	}
	h.serve(&labtraffic.DR{LAN: fn.LAN, Client: fn.Client, Director: fn.Director, RS: fn.RS}, fn.ServeRealServers)
	return h, fn
}

// lipOf returns the lab's first local address of a VIP's family.
func lipOf(vip netip.Addr) netip.Addr {
	if vip.Is4() {
		return labtraffic.LocalAddr4
	}
	return labtraffic.LocalAddr6
}

// laddrCounts reads CONFLICTS and CONNS of local address lip of service
// svc ("VIP:port") from xlvsadm -G; ok is false when it is not listed.
func (h *harness) laddrCounts(svc string, lip netip.Addr) (conflicts, conns int, ok bool) {
	return h.laddrCountsOf("-t", svc, lip)
}

// laddrCountsOf is laddrCounts for a service of protocol flag proto (-t, -u).
func (h *harness) laddrCountsOf(proto, svc string, lip netip.Addr) (conflicts, conns int, ok bool) {
	h.t.Helper()
	out := h.adm("-G", proto, svc)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == lip.String() {
			conflicts, _ = strconv.Atoi(f[1])
			conns, _ = strconv.Atoi(f[2])
			return conflicts, conns, true
		}
	}
	return 0, 0, false
}

// TestFullNATEndToEnd: FULLNAT services, TCP and UDP, IPv4 and IPv6, two
// real servers that have no route to the client, two queues and workers:
// replies to the local address come back on whichever queue the real
// server's side hashes them to and are handed to the worker that owns
// the local port.
func TestFullNATEndToEnd(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnat", labtraffic.NATOptions{RealServers: 2, Queues: 2})
	// The real servers cannot reach the client themselves.
	for _, c := range []netip.Addr{labtraffic.ClientAddr4, labtraffic.ClientAddr6} {
		err := fn.RS[0].Do(func() error {
			conn, err := net.DialTimeout("udp", ap(c, 9), time.Second)
			if err == nil {
				conn.Close()
			}
			return err
		})
		if !errors.Is(err, syscall.ENETUNREACH) {
			t.Fatalf("a real server reaching %v: %v, want network unreachable", c, err)
		}
	}
	d := h.startDirector("--interface", "eth1")
	h.addMappedServices("-b", "--fullnat")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		h.adm("-P", "-t", ap(vip, 80), "-z", lipOf(vip).String(), "-F", "eth1")
		h.adm("-P", "-u", ap(vip, 53), "-z", lipOf(vip).String(), "-F", "eth1")
	}
	plan := labtraffic.Plan{
		TCP:   []string{ap(labtraffic.VIP4, 80), ap(labtraffic.VIP6, 80)},
		UDP:   []string{ap(labtraffic.VIP4, 53), ap(labtraffic.VIP6, 53)},
		Conns: 16, Datagrams: 16, Bytes: 64 << 10,
	}
	rep := h.traffic(plan)
	if !rep.OK() {
		t.Fatalf("traffic failed:\n%s", rep)
	}
	for _, tg := range rep.Targets {
		if tg.PerServer["rs1"] == 0 || tg.PerServer["rs2"] == 0 {
			t.Errorf("%s %s: answered by %v, want both real servers", tg.Proto, tg.Addr, tg.PerServer)
		}
	}
	c := h.counters()
	t.Logf("handoffs out %d in %d, xdp steer-fullnat-reply %d, ports allocated %d", c["handoff-out"], c["handoff-in"],
		c["xdp-steer-fullnat-reply"], c["fullnat-ports-allocated"])
	if c["xdp-steer-fullnat-reply"] == 0 {
		t.Errorf("the XDP program steered no reply to a local address")
	}
	if c["handoff-in"] == 0 {
		t.Errorf("no frame crossed between the two workers; the test did not exercise replies on the other queue")
	}
	if c["drop-no-connection"] != 0 || c["drop-reply-tuple-in-use"] != 0 || c["drop-fullnat-no-local-port"] != 0 {
		t.Errorf("drops: no-connection %d, reply-tuple-in-use %d, fullnat-no-local-port %d",
			c["drop-no-connection"], c["drop-reply-tuple-in-use"], c["drop-fullnat-no-local-port"])
	}
	// TCP connections linger in TIME_WAIT: -G counts them on the address.
	if _, conns, ok := h.laddrCounts(ap(labtraffic.VIP4, 80), labtraffic.LocalAddr4); !ok || conns == 0 {
		t.Errorf("xlvsadm -G: local address %v with %d connections (listed: %v)", labtraffic.LocalAddr4, conns, ok)
	}
	// Real servers' replies are counted (OutPkts).
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

// portFlow is a UDP socket of the client bound to a port of its own, so
// that every flow is a distinct connection for the director.
type portFlow struct {
	c    *net.UDPConn
	port uint16
}

func openFlow(t *testing.T, ns *netlab.NS, src netip.Addr, port uint16, dst string) *portFlow {
	t.Helper()
	var c *net.UDPConn
	err := ns.Do(func() (err error) {
		raddr, err := net.ResolveUDPAddr("udp", dst)
		if err != nil {
			return err
		}
		c, err = net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, port)), raddr)
		return err
	})
	if err != nil {
		t.Fatalf("udp socket from port %d: %v", port, err)
	}
	t.Cleanup(func() { c.Close() })
	return &portFlow{c: c, port: port}
}

// ask sends one datagram and reports whether the echo came back within
// wait, tries times.
func (f *portFlow) ask(tries int, wait time.Duration) bool {
	data := []byte(fmt.Sprintf("flow %d", f.port))
	buf := make([]byte, 512)
	for i := 0; i < tries; i++ {
		if _, err := f.c.Write(data); err != nil {
			return false
		}
		_ = f.c.SetReadDeadline(time.Now().Add(wait))
		if n, err := f.c.Read(buf); err == nil && strings.HasSuffix(string(buf[:n]), string(data)) {
			return true
		}
	}
	return false
}

// TestFullNATPortExhaustion: with a range of 4 local ports shared by two
// workers, new connections beyond each worker's 2 are refused and
// counted, the connections that have a port keep working, and once they
// expire the refused ones go through.
func TestFullNATPortExhaustion(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnex", labtraffic.NATOptions{RealServers: 1, Queues: 2})
	d := h.startDirector("--interface", "eth1", "--fullnat-ports", "40000-40003")
	svc := ap(labtraffic.VIP4, 53)
	h.adm("-A", "-u", svc, "-s", "rr")
	h.adm("-a", "-u", svc, "-r", ap(labtraffic.NATRSAddr4(0), labtraffic.NATUDPPort), "-b")
	h.adm("-P", "-u", svc, "-z", labtraffic.LocalAddr4.String(), "-F", "eth1")
	h.adm("--set", "0", "0", "4") // UDP connections expire 4 s after their last datagram
	// Twelve new flows at once, well within the UDP timeout.
	flows := make([]*portFlow, 12)
	for i := range flows {
		flows[i] = openFlow(t, fn.Client, labtraffic.ClientAddr4, uint16(20000+i), svc)
		if _, err := flows[i].c.Write([]byte(fmt.Sprintf("flow %d", flows[i].port))); err != nil {
			t.Fatal(err)
		}
	}
	var ok, refused []*portFlow
	buf := make([]byte, 512)
	time.Sleep(time.Second) // the answers wait in the sockets
	for _, f := range flows {
		_ = f.c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if n, err := f.c.Read(buf); err == nil && strings.HasSuffix(string(buf[:n]), fmt.Sprintf("flow %d", f.port)) {
			ok = append(ok, f)
		} else {
			refused = append(refused, f)
		}
	}
	t.Logf("%d flows got a local port, %d were refused", len(ok), len(refused))
	if len(ok) < 2 || len(ok) > 4 || len(refused) == 0 {
		t.Fatalf("%d flows answered, %d refused; want 2..4 answered (two ports per worker) and the rest refused", len(ok), len(refused))
	}
	c := h.counters()
	if c["drop-fullnat-no-local-port"] != uint64(len(refused)) {
		t.Errorf("drop-fullnat-no-local-port = %d, want %d", c["drop-fullnat-no-local-port"], len(refused))
	}
	if conflicts, conns, _ := h.laddrCountsOf("-u", svc, labtraffic.LocalAddr4); conflicts != len(refused) || conns != len(ok) {
		t.Errorf("xlvsadm -G: %d conflicts, %d conns; want %d and %d", conflicts, conns, len(refused), len(ok))
	}
	// The flows that have a port are unaffected.
	for _, f := range ok {
		if !f.ask(3, time.Second) {
			t.Fatalf("flow from port %d stopped working after the pool ran out", f.port)
		}
	}
	// They go quiet and expire; every refused flow then gets through (as
	// many at a time as there are ports: the first ones again).
	waitFor(t, 20*time.Second, func() (bool, string) {
		_, conns, _ := h.laddrCountsOf("-u", svc, labtraffic.LocalAddr4)
		return conns == 0, fmt.Sprintf("%d connections left on the local address", conns)
	})
	if !refused[0].ask(5, time.Second) {
		t.Fatalf("a flow refused before is still refused after the ports came back")
	}
	d.stop()
}

// TestFullNATDeleteLocalAddress: a local address deleted while a
// connection uses it: the connection goes on (its replies are still
// steered and translated), new connections use the other address.
func TestFullNATDeleteLocalAddress(t *testing.T) {
	h, fn := newFullNATHarness(t, "fndel", labtraffic.NATOptions{RealServers: 1, Queues: 1})
	d := h.startDirector("--interface", "eth1")
	peers := serveRemoteEcho(t, fn.RS[0], ap(labtraffic.NATRSAddr4(0), 8090))
	svc := ap(labtraffic.VIP4, 90)
	h.adm("-A", "-t", svc, "-s", "rr")
	h.adm("-a", "-t", svc, "-r", ap(labtraffic.NATRSAddr4(0), 8090), "-b")
	h.adm("-P", "-t", svc, "-z", labtraffic.LocalAddr4.String())
	h.adm("-P", "-t", svc, "-z", labtraffic.LocalAddr4b.String())
	first := dialEcho(t, fn.Client, svc)
	if got := first.peer.Addr(); got != labtraffic.LocalAddr4 {
		t.Fatalf("first connection reached the real server from %v, want %v", got, labtraffic.LocalAddr4)
	}
	h.adm("-Q", "-t", svc, "-z", labtraffic.LocalAddr4.String())
	if _, _, listed := h.laddrCounts(svc, labtraffic.LocalAddr4); listed {
		t.Fatalf("-G still lists the deleted local address")
	}
	first.roundTrip(t, "still here")
	for i := 0; i < 4; i++ {
		c := dialEcho(t, fn.Client, svc)
		if got := c.peer.Addr(); got != labtraffic.LocalAddr4b {
			t.Fatalf("new connection %d from %v, want only %v after the delete", i, got, labtraffic.LocalAddr4b)
		}
		c.roundTrip(t, "hello")
	}
	first.roundTrip(t, "and still")
	if len(peers()) != 5 {
		t.Fatalf("real server accepted %d connections, want 5", len(peers()))
	}
	d.stop()
}

// echoConn is a connection to a test server that first tells where the
// connection came from.
type echoConn struct {
	c    net.Conn
	r    *bufio.Reader
	peer netip.AddrPort // the source the real server saw
	line string         // the whole first line
}

func dialEcho(t *testing.T, ns *netlab.NS, addr string) *echoConn {
	return dialEchoFirst(t, ns, addr, "")
}

// dialEchoFirst is dialEcho for a server that waits for the client's
// first bytes (a PROXY v2 header only goes in front of them): it sends
// first (a line) at once and reads its echo after the server's line.
func dialEchoFirst(t *testing.T, ns *netlab.NS, addr, first string) *echoConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ns.DialTCP(ctx, addr)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	e := &echoConn{c: c, r: bufio.NewReader(c)}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if first != "" {
		if _, err := io.WriteString(c, first+"\n"); err != nil {
			t.Fatalf("%s: write: %v", addr, err)
		}
	}
	if e.line, err = e.r.ReadString('\n'); err != nil {
		t.Fatalf("%s: first line: %v", addr, err)
	}
	if first != "" {
		if echo, err := e.r.ReadString('\n'); err != nil || echo != first+"\n" {
			t.Fatalf("%s: echo of the first line %q, %v", addr, echo, err)
		}
	}
	e.line = strings.TrimSpace(e.line)
	f := strings.Fields(e.line)
	if len(f) == 0 {
		t.Fatalf("%s: empty first line", addr)
	}
	if e.peer, err = netip.ParseAddrPort(strings.TrimPrefix(f[0], "peer=")); err != nil {
		t.Fatalf("%s: first line %q: %v", addr, e.line, err)
	}
	return e
}

func (e *echoConn) roundTrip(t *testing.T, msg string) {
	t.Helper()
	_ = e.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(e.c, msg+"\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := e.r.ReadString('\n')
	if err != nil || got != msg+"\n" {
		t.Fatalf("echo %q, %v; want %q", got, err, msg)
	}
}

// serveRemoteEcho runs a TCP server in ns on addr that answers each
// connection with "peer=<remote address>" and then echoes lines; it
// returns a function listing the peers seen.
func serveRemoteEcho(t *testing.T, ns *netlab.NS, addr string) func() []netip.AddrPort {
	return serveTCP(t, ns, addr, func(c net.Conn, r *bufio.Reader) string {
		return "peer=" + c.RemoteAddr().String()
	})
}

// serveTCP runs a TCP server in ns on addr: greet writes each
// connection's first line (after reading what it needs from r), then the
// server echoes lines. The returned function lists the remote addresses.
func serveTCP(t *testing.T, ns *netlab.NS, addr string, greet func(net.Conn, *bufio.Reader) string) func() []netip.AddrPort {
	t.Helper()
	ln, err := ns.ListenTCP(addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	peers := make(chan netip.AddrPort, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			peers <- netip.MustParseAddrPort(c.RemoteAddr().String())
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(60 * time.Second))
				r := bufio.NewReader(c)
				if _, err := io.WriteString(c, greet(c, r)+"\n"); err != nil {
					return
				}
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, line); err != nil {
						return
					}
				}
			}()
		}
	}()
	var seen []netip.AddrPort
	return func() []netip.AddrPort {
		for {
			select {
			case p := <-peers:
				seen = append(seen, p)
			default:
				return seen
			}
		}
	}
}

// parseProxyV2 reads a PROXY protocol v2 header from r (haproxy's
// proxy-protocol.txt §2.2) and returns the source and destination it
// carries.
func parseProxyV2(r io.Reader) (src, dst netip.AddrPort, err error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return src, dst, err
	}
	sig := []byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a}
	if string(hdr[:12]) != string(sig) || hdr[12] != 0x21 {
		return src, dst, fmt.Errorf("not a PROXY v2 header: % x", hdr)
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[14:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return src, dst, err
	}
	switch hdr[13] {
	case 0x11: // TCP over IPv4
		if len(body) < 12 {
			return src, dst, fmt.Errorf("short IPv4 addresses: %d bytes", len(body))
		}
		src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:]))
		dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:]))
	case 0x21: // TCP over IPv6
		if len(body) < 36 {
			return src, dst, fmt.Errorf("short IPv6 addresses: %d bytes", len(body))
		}
		src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])), binary.BigEndian.Uint16(body[32:]))
		dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])), binary.BigEndian.Uint16(body[34:]))
	default:
		return src, dst, fmt.Errorf("family/protocol %#x", hdr[13])
	}
	return src, dst, nil
}

// TestFullNATClientAddressProxyV2: a real server that reads the PROXY v2
// header at the start of each accepted stream finds the client's address
// and port and the VIP; the rest of the stream is the client's bytes,
// both ways, over several segments.
func TestFullNATClientAddressProxyV2(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnpx", labtraffic.NATOptions{RealServers: 1, Queues: 2})
	d := h.startDirector("--interface", "eth1")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		rip := labtraffic.NATRSAddr4(0)
		if vip.Is6() {
			rip = labtraffic.NATRSAddr6(0)
		}
		serveTCP(t, fn.RS[0], ap(rip, 8082), func(c net.Conn, r *bufio.Reader) string {
			src, dst, err := parseProxyV2(r)
			if err != nil {
				return "error=" + strings.ReplaceAll(err.Error(), " ", "_")
			}
			return "peer=" + src.String() + " dst=" + dst.String() + " via=" + c.RemoteAddr().String()
		})
		svc := ap(vip, 82)
		h.adm("-A", "-t", svc, "-s", "rr", "--proxy-protocol", "v2")
		h.adm("-a", "-t", svc, "-r", ap(rip, 8082), "-b")
		h.adm("-P", "-t", svc, "-z", lipOf(vip).String())
		for i := 0; i < 3; i++ {
			c := dialEchoFirst(t, fn.Client, svc, "hello")
			local := netip.MustParseAddrPort(c.c.LocalAddr().String())
			if c.peer != local {
				t.Fatalf("%s: the real server read client %v from the PROXY header, want %v (line %q)", svc, c.peer, local, c.line)
			}
			f := strings.Fields(c.line)
			via, err := netip.ParseAddrPort(strings.TrimPrefix(f[len(f)-1], "via="))
			if len(f) != 3 || f[1] != "dst="+svc || err != nil || via.Addr() != lipOf(vip) {
				t.Fatalf("%s: line %q, want dst=%s via the local address %v", svc, c.line, svc, lipOf(vip))
			}
			for j := 0; j < 5; j++ {
				c.roundTrip(t, strings.Repeat(fmt.Sprintf("segment %d ", j), 50))
			}
		}
	}
	c := h.counters()
	if c["fullnat-proxy-inserted"] != 6 || c["drop-proxy-out-of-order"] != 0 {
		t.Errorf("fullnat-proxy-inserted %d (want 6), drop-proxy-out-of-order %d", c["fullnat-proxy-inserted"], c["drop-proxy-out-of-order"])
	}
	d.stop()
}
