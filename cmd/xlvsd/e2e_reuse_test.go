package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// connectFrom opens a TCP connection from the client's port to vip,
// reads the real server's name line and resets the connection (SO_LINGER
// 0: an RST, no TIME_WAIT on the client, so the port is free at once). It
// returns the server's name.
func connectFrom(t *testing.T, ns *netlab.NS, port int, vip string) string {
	t.Helper()
	var c *net.TCPConn
	err := ns.Do(func() error {
		d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: labtraffic.ClientAddr4.AsSlice(), Port: port}}
		conn, err := d.Dial("tcp", vip)
		if err == nil {
			c = conn.(*net.TCPConn)
		}
		return err
	})
	if err != nil {
		t.Fatalf("connect from port %d to %s: %v", port, vip, err)
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	name, err := bufio.NewReader(c).ReadString('\n')
	_ = c.SetLinger(0)
	c.Close()
	if err != nil {
		t.Fatalf("reading the server's name: %v", err)
	}
	return strings.TrimSpace(name)
}

// TestConnReuseReusedClientPort: a client that resets its connection and
// connects again from the same port finds the director's entry in CLOSE;
// with the default conn_reuse_mode 1 the SYN expires it and is scheduled
// anew (rr: the other real server), with --conn-reuse-mode 0 it joins the
// old entry and goes to the same real server.
func TestConnReuseReusedClientPort(t *testing.T) {
	h := newHarness(t, "e2ereuse", labtraffic.DROptions{})
	for _, c := range []struct {
		flags []string
		same  bool
	}{{nil, false}, {[]string{"--conn-reuse-mode", "0"}, true}} {
		d := h.startDirector(c.flags...)
		h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
		const port = 41000
		first := connectFrom(t, h.dr.Client, port, vip4tcp.String())
		time.Sleep(50 * time.Millisecond) // the RST passes the director
		second := connectFrom(t, h.dr.Client, port, vip4tcp.String())
		if (second == first) != c.same {
			t.Errorf("%v: first connection to %s, the next from the same port to %s; want the same server: %v", c.flags, first, second, c.same)
		}
		checkFrameAccounting(t, d.stop(), 1)
	}
}

// TestExpireNodestConnFlag: with --expire-nodest-conn a UDP flow whose real
// server is deleted is scheduled to the remaining one at its next
// datagram, instead of being dropped until its 300 s run out.
func TestExpireNodestConnFlag(t *testing.T) {
	h := newHarness(t, "e2enodest", labtraffic.DROptions{})
	d := h.startDirector("--expire-nodest-conn")
	h.addService("-u", labtraffic.VIP4, labtraffic.UDPPort, "rr", 1, 1)
	f := openFlow(t, h.dr.Client, labtraffic.ClientAddr4, 42000, vip4udp.String())
	first := f.server(t)
	x := serverIndex(t, first)
	h.adm("-d", "-u", vip4udp.String(), "-r", rip(labtraffic.VIP4, x, labtraffic.UDPPort).String())
	if got := f.server(t); got != rsName(1-x) {
		t.Fatalf("after deleting %s the flow was answered by %q, want %s", first, got, rsName(1-x))
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// server sends one datagram and returns the name of the real server that
// answered (the line before the echo).
func (f *portFlow) server(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 512)
	for try := 0; try < 3; try++ {
		if _, err := f.c.Write([]byte("who")); err != nil {
			t.Fatal(err)
		}
		_ = f.c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := f.c.Read(buf); err == nil {
			name, _, _ := strings.Cut(string(buf[:n]), "\n")
			return name
		}
	}
	t.Fatalf("flow from port %d: no answer", f.port)
	return ""
}
