package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// TestDirectorReachesNATRealServers: the director's own connections to
// NAT real servers (what its health checks do: TCP connect, UDP query to
// RIP:rport from the director's address) work while xlvsd serves those
// real servers in NAT, because the XDP program passes replies addressed
// to the director's own addresses to the kernel; NAT traffic from the
// client still flows, and an address added while xlvsd runs is followed.
func TestDirectorReachesNATRealServers(t *testing.T) {
	h, nat := newNATHarness(t, "nathc", labtraffic.NATOptions{RealServers: 2})
	d := h.startDirector("--interface", "eth1")
	h.addMappedServices("-m", "-m")
	check := func(what string) {
		t.Helper()
		for i, name := range []string{"rs1", "rs2"} {
			for _, rip := range []netip.Addr{labtraffic.NATRSAddr4(i), labtraffic.NATRSAddr6(i)} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				got, _, err := labtraffic.TCPRound(ctx, nat.Director, ap(rip, labtraffic.NATTCPPort), []byte("health?"), 3*time.Second)
				if err != nil || got != name {
					t.Errorf("%s: TCP check of %s from the director: server %q, %v (counters:%s)", what, ap(rip, labtraffic.NATTCPPort), got, err, h.tryCounters())
				}
				got, _, err = labtraffic.UDPRound(ctx, nat.Director, ap(rip, labtraffic.NATUDPPort), []byte("health?"), time.Second, 2)
				cancel()
				if err != nil || got != name {
					t.Errorf("%s: UDP check of %s from the director: server %q, %v", what, ap(rip, labtraffic.NATUDPPort), got, err)
				}
			}
		}
	}
	check("director's own address")
	c := h.counters()
	if c["xdp-pass-own-addr"] == 0 {
		t.Errorf("the XDP program passed no reply to the director's own address (counters:%s)", h.tryCounters())
	}
	if c["drop-no-connection"] != 0 {
		t.Errorf("replies to the director reached the workers: no-connection %d", c["drop-no-connection"])
	}

	// An address added while xlvsd runs is followed: the director checks
	// from it (as keepalived's bindto would).
	extra := netip.MustParseAddr("198.18.1.250")
	if err := nat.Director.AddAddr("eth1", extra.String()+"/24"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() (bool, string) {
		got, err := nameFrom(nat.Director, extra, ap(labtraffic.NATRSAddr4(0), labtraffic.NATTCPPort))
		return err == nil && got == "rs1", fmt.Sprintf("connection from the new address: %q, %v", got, err)
	})

	// The first tries may have raced the address event: their replies
	// reached the workers. From now on, none may.
	noConn := h.counters()["drop-no-connection"]

	// NAT traffic from the client still works, replies rewritten.
	rep := h.traffic(labtraffic.Plan{
		TCP:   []string{ap(labtraffic.VIP4, 80), ap(labtraffic.VIP6, 80)},
		UDP:   []string{ap(labtraffic.VIP4, 53), ap(labtraffic.VIP6, 53)},
		Conns: 4, Datagrams: 4,
	})
	for _, tg := range rep.Targets {
		if tg.PerServer["rs1"] == 0 || tg.PerServer["rs2"] == 0 {
			t.Errorf("%s %s: answered by %v, want both real servers", tg.Proto, tg.Addr, tg.PerServer)
		}
	}
	check("after NAT traffic")
	if c := h.counters(); c["xdp-steer-nat-reply"] == 0 || c["drop-no-connection"] != noConn {
		t.Errorf("NAT replies: steered %d, no-connection %d (was %d)", c["xdp-steer-nat-reply"], c["drop-no-connection"], noConn)
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// nameFrom connects from local in ns to a lab server at addr and returns
// the name line it sends first.
func nameFrom(ns *netlab.NS, local netip.Addr, addr string) (string, error) {
	var name string
	err := ns.Do(func() error {
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)), Timeout: time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		name = strings.TrimSuffix(line, "\n")
		return err
	})
	return name, err
}
