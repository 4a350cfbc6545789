package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// svcListing is one virtual service as `ipvsadm -L -n` shows it.
type svcListing struct {
	proto string // "TCP", "UDP"
	vip   netip.AddrPort
	sched string
	dests []destListing // in the order listed (ipvsadm sorts by address)
}

// destListing is one real-server line of `ipvsadm -L -n`.
type destListing struct {
	addr             netip.AddrPort
	fwd              string // "Route", "Masq", ...
	weight           int
	active, inactive int
}

// listing builds the exact text `ipvsadm -L -n` prints for svcs (given in
// listing order) with the version line's table size, as ipvsadm's
// print_title / print_service_entry / print_dest_entry format it:
// "%-4s %s" service names and "  -> %-28s %-7s %-6d %-10u %-10u\n" real
// servers, trailing blanks included.
func listing(size int, svcs ...svcListing) string {
	var b strings.Builder
	fmt.Fprintf(&b, "IP Virtual Server version 1.2.1 (size=%d)\n", size)
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, s := range svcs {
		fmt.Fprintf(&b, "%-4s %s %s\n", s.proto, s.vip, s.sched)
		for _, d := range s.dests {
			fmt.Fprintf(&b, "  -> %-28s %-7s %-6d %-10d %-10d\n", d.addr, d.fwd, d.weight, d.active, d.inactive)
		}
	}
	return b.String()
}

// checkListing compares `xlvsadm -L -n` with want byte for byte. The
// connection counts are read from counters the workers update as frames
// pass, so it allows them time to settle (generously: the machine may be
// loaded) before failing with both texts.
func (h *harness) checkListing(want string) {
	h.t.Helper()
	var got string
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = h.adm("-L", "-n")
		if got == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got != want {
		h.t.Fatalf("xlvsadm -L -n differs from what ipvsadm would print (⏎ marks line ends):\n got:\n%s\nwant:\n%s",
			markEOL(got), markEOL(want))
	}
}

func markEOL(s string) string { return strings.ReplaceAll(s, "\n", "⏎\n") }

var accountingRE = regexp.MustCompile(`msg="frame accounting" queue=(\d+) .*\blost=(-?\d+)\b`)

// checkFrameAccounting checks xlvsd's shutdown log: one "frame accounting"
// line per queue, each with lost=0 (every UMEM frame came back).
func checkFrameAccounting(t *testing.T, log string, queues int) {
	t.Helper()
	seen := map[int]bool{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `msg="frame accounting"`) {
			continue
		}
		m := accountingRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("unexpected frame accounting line: %s", line)
			continue
		}
		q, _ := strconv.Atoi(m[1])
		seen[q] = true
		if m[2] != "0" {
			t.Errorf("queue %d lost frames: %s", q, line)
		}
	}
	for q := range queues {
		if !seen[q] {
			t.Errorf("no frame accounting line for queue %d in xlvsd's log", q)
		}
	}
	if len(seen) != queues {
		t.Errorf("frame accounting for queues %v, want %d queues", seen, queues)
	}
}

// longConn is a TCP connection to a labtraffic server kept open across
// configuration changes.
type longConn struct {
	c      *net.TCPConn
	r      *bufio.Reader
	server string // the real server that accepted it
	seq    int
}

// dialLong connects from ns to addr and reads the server's name line.
func dialLong(t *testing.T, ns *netlab.NS, addr string) *longConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ns.DialTCP(ctx, addr)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	l := &longConn{c: c, r: bufio.NewReader(c)}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := l.r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: reading the server's name: %v", addr, err)
	}
	l.server = strings.TrimSuffix(line, "\n")
	return l
}

// send writes n fresh bytes and returns them.
func (l *longConn) send(t *testing.T, n int) []byte {
	t.Helper()
	l.seq++
	data := bytes.Repeat([]byte(fmt.Sprintf("%08d", l.seq)), (n+7)/8)[:n]
	_ = l.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := l.c.Write(data); err != nil {
		t.Fatalf("write on the connection to %s: %v", l.server, err)
	}
	return data
}

// expectEcho reads len(want) bytes within limit and checks them.
func (l *longConn) expectEcho(t *testing.T, want []byte, limit time.Duration) {
	t.Helper()
	_ = l.c.SetReadDeadline(time.Now().Add(limit))
	got := make([]byte, len(want))
	n, err := io.ReadFull(l.r, got)
	if err != nil {
		t.Fatalf("echo from %s: %d of %d bytes within %v: %v", l.server, n, len(want), limit, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo from %s differs from what was sent", l.server)
	}
}

// roundTrip sends n bytes and checks the echo.
func (l *longConn) roundTrip(t *testing.T, n int) {
	t.Helper()
	l.expectEcho(t, l.send(t, n), 10*time.Second)
}

// expectSilence checks that nothing at all arrives within d.
func (l *longConn) expectSilence(t *testing.T, d time.Duration) {
	t.Helper()
	_ = l.c.SetReadDeadline(time.Now().Add(d))
	b, err := l.r.ReadByte()
	if err == nil {
		t.Fatalf("connection to %s: got byte %#x, want nothing (its real server is deleted)", l.server, b)
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("connection to %s: %v, want a silent stall (no reset)", l.server, err)
	}
}

// close half-closes, expects the server's EOF and closes.
func (l *longConn) close(t *testing.T) {
	t.Helper()
	if err := l.c.CloseWrite(); err != nil {
		t.Fatalf("half-close: %v", err)
	}
	_ = l.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if rest, err := io.ReadAll(l.r); err != nil || len(rest) != 0 {
		t.Fatalf("closing the connection to %s: %d extra bytes, %v", l.server, len(rest), err)
	}
	l.c.Close()
}

// udpFlows sends n datagrams to addr from the client, each from its own
// source port firstPort+i (so each is a new flow for the director: fresh
// sockets with kernel-chosen ports may reuse a port, and a reused port is
// the same IPVS connection), checks each answer byte for byte and returns
// how many each real server answered.
func (h *harness) udpFlows(addr netip.AddrPort, n int, firstPort uint16) map[string]int {
	t := h.t
	t.Helper()
	src := labtraffic.ClientAddr4
	if addr.Addr().Is6() {
		src = labtraffic.ClientAddr6
	}
	per := map[string]int{}
	buf := make([]byte, 2048)
	for i := range n {
		laddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, firstPort+uint16(i)))
		var c *net.UDPConn
		err := h.dr.Client.Do(func() (err error) {
			c, err = net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(addr))
			return err
		})
		if err != nil {
			t.Fatalf("udp socket %v -> %v: %v", laddr, addr, err)
		}
		data := []byte(fmt.Sprintf("datagram %d from %v", i, laddr))
		var answer []byte
		for try := 0; try < 5 && answer == nil; try++ {
			if _, err := c.Write(data); err != nil {
				c.Close()
				t.Fatalf("udp %v -> %v: %v", laddr, addr, err)
			}
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if m, err := c.Read(buf); err == nil {
				answer = buf[:m]
			}
		}
		c.Close()
		name, echo, ok := bytes.Cut(answer, []byte{'\n'})
		if !ok || !bytes.Equal(echo, data) {
			t.Fatalf("udp %v -> %v: answer %q, want a name line and %q", laddr, addr, answer, data)
		}
		per[string(name)]++
	}
	t.Logf("udp %v: %d flows answered by %v", addr, n, per)
	return per
}
