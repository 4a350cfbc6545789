package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// TestFullNATICMPFromRealServer: a FULLNAT UDP service whose real server
// has nothing on the port. The real server's kernel answers each datagram
// with port unreachable to the local address; the director translates it
// back to the client (VIP → client, quoting client → VIP), whose connected
// socket reports "connection refused" — IPv4 and IPv6.
func TestFullNATICMPFromRealServer(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnicmp", labtraffic.NATOptions{RealServers: 1, Queues: 2})
	d := h.startDirector("--interface", "eth1")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		rs, cl := labtraffic.NATRSAddr4(0), labtraffic.ClientAddr4
		if vip.Is6() {
			rs, cl = labtraffic.NATRSAddr6(0), labtraffic.ClientAddr6
		}
		svc := ap(vip, 5399)
		h.adm("-A", "-u", svc, "-s", "rr")
		h.adm("-a", "-u", svc, "-r", ap(rs, 5399), "-b") // nothing listens there
		h.adm("-P", "-u", svc, "-z", lipOf(vip).String(), "-F", "eth1")
		f := openFlow(t, fn.Client, cl, 21000, svc)
		start := time.Now()
		var err error
		buf := make([]byte, 64)
		for i := 0; i < 5 && !errors.Is(err, syscall.ECONNREFUSED); i++ {
			if _, err = f.c.Write([]byte("anyone?")); err != nil {
				continue
			}
			_ = f.c.SetReadDeadline(time.Now().Add(time.Second))
			_, err = f.c.Read(buf)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("%s: the client's socket got %v, want connection refused (the real server's port unreachable)", svc, err)
		}
		t.Logf("%s: refused after %v", svc, time.Since(start))
	}
	c := h.counters()
	t.Logf("xdp steer-icmp-error %d, icmp drops: no-connection %d bad-quote %d", c["xdp-steer-icmp-error"],
		c["drop-icmp-no-connection"], c["drop-icmp-bad-quote"])
	if c["xdp-steer-icmp-error"] < 2 {
		t.Errorf("xdp-steer-icmp-error = %d, want the real server's errors steered", c["xdp-steer-icmp-error"])
	}
	checkFrameAccounting(t, d.stop(), 2)
}

// TestFullNATICMPFromClientSide: the client's kernel answers a reply sent
// to a port without a socket with port unreachable to the VIP; the real
// server gets it as an error from the local address about the datagram it
// sent (RIP:rport → LIP:lport), which a raw ICMP socket there reads.
func TestFullNATICMPFromClientSide(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnicmpc", labtraffic.NATOptions{RealServers: 1, Queues: 1})
	d := h.startDirector("--interface", "eth1")
	rs := labtraffic.NATRSAddr4(0)
	svc := ap(labtraffic.VIP4, 53)
	h.adm("-A", "-u", svc, "-s", "rr")
	h.adm("-a", "-u", svc, "-r", ap(rs, labtraffic.NATUDPPort), "-b")
	h.adm("-P", "-u", svc, "-z", labtraffic.LocalAddr4.String(), "-F", "eth1")
	var icmp net.PacketConn
	if err := fn.RS[0].Do(func() (err error) {
		icmp, err = net.ListenPacket("ip4:icmp", rs.String())
		return err
	}); err != nil {
		t.Fatalf("raw ICMP socket on the real server: %v", err)
	}
	defer icmp.Close()
	// A datagram from a port no UDP socket holds (sent through a raw
	// socket): the echo comes back to a closed port.
	var raw net.PacketConn
	if err := fn.Client.Do(func() (err error) {
		raw, err = net.ListenPacket("ip4:udp", labtraffic.ClientAddr4.String())
		return err
	}); err != nil {
		t.Fatalf("raw UDP socket on the client: %v", err)
	}
	defer raw.Close()
	const cport = 23456
	payload := []byte("nobody will read the answer")
	udp := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], cport)
	binary.BigEndian.PutUint16(udp[2:], 53)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	copy(udp[8:], payload) // checksum 0: none (IPv4)
	buf := make([]byte, 1500)
	for try := 0; try < 5; try++ {
		if _, err := raw.WriteTo(udp, &net.IPAddr{IP: labtraffic.VIP4.AsSlice()}); err != nil {
			t.Fatal(err)
		}
		_ = icmp.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, from, err := icmp.ReadFrom(buf)
			if err != nil {
				break // timeout: send again
			}
			m := buf[:n]
			if len(m) < 8+20+8 || m[0] != 3 || m[1] != 3 {
				continue // not a port unreachable
			}
			in := m[8:]
			src, dst := netip.AddrFrom4([4]byte(in[12:16])), netip.AddrFrom4([4]byte(in[16:20]))
			sport, dport := binary.BigEndian.Uint16(in[20:]), binary.BigEndian.Uint16(in[22:])
			got := fmt.Sprintf("from %v quoting %v:%d → %v:%d", from, src, sport, dst, dport)
			t.Logf("the real server got port unreachable %s", got)
			if from.String() != labtraffic.LocalAddr4.String() || src != rs || sport != labtraffic.NATUDPPort ||
				dst != labtraffic.LocalAddr4 || dport < 1025 {
				t.Fatalf("port unreachable %s; want from %v quoting %v:%d → %v:lport", got, labtraffic.LocalAddr4,
					rs, labtraffic.NATUDPPort, labtraffic.LocalAddr4)
			}
			c := h.counters()
			if c["xdp-steer-icmp-error"] == 0 {
				t.Errorf("counters: %v", c)
			}
			d.stop()
			return
		}
	}
	t.Fatalf("the real server got no port unreachable about its answer (counters %s)", strings.TrimSpace(h.tryCounters()))
}

// TestFullNATOnePacket: a one-packet (-o) FULLNAT UDP service: every
// datagram of one client socket is scheduled (round robin over both real
// servers) and every one is answered; the answers release the local
// ports.
func TestFullNATOnePacket(t *testing.T) {
	h, fn := newFullNATHarness(t, "fnops", labtraffic.NATOptions{RealServers: 2, Queues: 2})
	d := h.startDirector("--interface", "eth1")
	svc := ap(labtraffic.VIP4, 53)
	h.adm("-A", "-u", svc, "-s", "rr", "-o")
	for i := 0; i < 2; i++ {
		h.adm("-a", "-u", svc, "-r", ap(labtraffic.NATRSAddr4(i), labtraffic.NATUDPPort), "-b")
	}
	h.adm("-P", "-u", svc, "-z", labtraffic.LocalAddr4.String(), "-F", "eth1")
	f := openFlow(t, fn.Client, labtraffic.ClientAddr4, 22000, svc)
	by := map[string]int{}
	buf := make([]byte, 512)
	for i := 0; i < 10; i++ {
		q := fmt.Sprintf("query %d", i)
		var answer string
		for try := 0; try < 3 && answer == ""; try++ {
			if _, err := f.c.Write([]byte(q)); err != nil {
				t.Fatal(err)
			}
			_ = f.c.SetReadDeadline(time.Now().Add(time.Second))
			if n, err := f.c.Read(buf); err == nil && strings.HasSuffix(string(buf[:n]), q) {
				answer = string(buf[:n])
			}
		}
		if answer == "" {
			t.Fatalf("%s: no answer (counters %s)", q, strings.TrimSpace(h.tryCounters()))
		}
		by[strings.SplitN(answer, "\n", 2)[0]]++
	}
	if len(by) != 2 {
		t.Errorf("one client socket's datagrams answered by %v, want both real servers (-o schedules each)", by)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		_, conns, _ := h.laddrCountsOf("-u", svc, labtraffic.LocalAddr4)
		return conns == 0, fmt.Sprintf("%d connections on the local address", conns)
	})
	c := h.counters()
	if c["fullnat-ports-allocated"] < 10 || c["fullnat-ports-released"] != c["fullnat-ports-allocated"] || c["drop-no-connection"] != 0 {
		t.Errorf("ports allocated %d, released %d, no-connection drops %d", c["fullnat-ports-allocated"],
			c["fullnat-ports-released"], c["drop-no-connection"])
	}
	checkFrameAccounting(t, d.stop(), 2)
}
