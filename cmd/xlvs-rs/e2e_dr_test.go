package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// arpRequest is a broadcast ARP request from the peer for target.
func (tp *topo) arpRequest(target string) []byte {
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], tp.peerMAC[:])
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	arp := f[14:]
	binary.BigEndian.PutUint16(arp[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(arp[2:], 0x0800) // IPv4
	arp[4], arp[5] = 6, 4
	binary.BigEndian.PutUint16(arp[6:], 1) // request
	copy(arp[8:14], tp.peerMAC[:])
	p, t := addr(peer4).As4(), addr(target).As4()
	copy(arp[14:18], p[:])
	copy(arp[24:28], t[:])
	return f
}

// arpReplyFor matches an ARP reply from the real server saying where
// target is.
func (tp *topo) arpReplyFor(target string) func([]byte) bool {
	t := addr(target).As4()
	return func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 &&
			binary.BigEndian.Uint16(f[20:]) == 2 && bytes.Equal(f[28:32], t[:]) &&
			bytes.Equal(f[22:28], tp.rsMAC[:])
	}
}

// answersARP reports whether the real server answers an ARP request for
// target.
func (tp *topo) answersARP(fd int, target string) bool {
	tp.send(fd, tp.arpRequest(target))
	return receive(fd, 500*time.Millisecond, tp.arpReplyFor(target)) != nil
}

func TestDirectRoutingModeHidesTheVIPFromARP(t *testing.T) {
	netlab.RequireRoot(t)
	tp := newTopo(t)
	fd := tp.packetSocket()
	before := map[string]string{}
	for _, p := range []string{"net/ipv4/conf/all/arp_ignore", "net/ipv4/conf/eth0/arp_ignore",
		"net/ipv4/conf/all/arp_announce", "net/ipv4/conf/eth0/arp_announce", "net/ipv4/conf/all/rp_filter"} {
		before[p] = tp.sysctl(p)
	}

	// Without xlvs-rs, a VIP on lo is answered for: the reason for the
	// sysctls (this is what makes the check below able to fail).
	must(t, tp.rs.AddAddr("lo", vip4+"/32"))
	if !tp.answersARP(fd, vip4) {
		t.Fatal("with arp_ignore=0 the real server does not answer ARP for an address on lo: the check cannot work")
	}
	h := tp.rs.Netlink
	lo, err := tp.rs.Link("lo")
	must(t, err)
	must(t, h.AddrDel(lo, toNetlinkAddr(hostPrefix(addr(vip4)))))

	// No --dev: the interface of the default route (eth0).
	out := tp.mustRS("up", "--vip", vip4, "--vip", vip6, "--mode", "dr")
	for _, want := range []string{"net.ipv4.conf.eth0.arp_ignore = 1", "added 198.18.0.100/32 to lo"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	s := tp.stateFile()
	if s.Mode != "dr" || s.Dev != "eth0" || s.Decapsulator != nil || len(s.Addresses) != 2 {
		t.Errorf("state after up: %+v", s)
	}
	if tp.answersARP(fd, vip4) {
		t.Error("the real server answers ARP for the VIP after up")
	}
	if !tp.answersARP(fd, rs4) {
		t.Error("the real server does not answer ARP for its own address after up")
	}
	if got := tp.sysctl("net/ipv4/conf/all/rp_filter"); got != before["net/ipv4/conf/all/rp_filter"] {
		t.Errorf("DR mode changed rp_filter to %s", got)
	}
	// A packet to the VIP is accepted (here: a datagram from the peer to
	// the VIP, routed by hand as the director's DR rewrite would send it).
	must(t, tp.peer.AddRoute(vip4+"/32", rs4))
	u := tp.listenUDP(vip4)
	c, err := tp.peer.DialUDP(t.Context(), vip4+":5000")
	must(t, err)
	defer c.Close()
	if _, err := c.Write([]byte("to the VIP")); err != nil {
		t.Fatal(err)
	}
	expectDatagram(t, u, []byte("to the VIP"), peer4)

	// up again with one VIP less: its address goes, nothing is doubled.
	out = tp.mustRS("up", "--vip", vip4, "--mode", "dr")
	if out != "removed fd00:ff::100/128 from lo (no longer a VIP)\n" {
		t.Errorf("second up:\n%s", out)
	}
	tp.checkLo(map[string]bool{vip4 + "/32": true, vip6 + "/128": false})
	s = tp.stateFile()
	if len(s.Addresses) != 1 {
		t.Errorf("state after the second up records addresses %v, want only %s", s.Addresses, vip4)
	}
	for _, c := range s.Sysctls {
		if c.Previous != before[c.Path] {
			t.Errorf("state after the second up: %s previous %s, want the first previous %s", c.Path, c.Previous, before[c.Path])
		}
	}

	tp.mustRS("down")
	for p, v := range before {
		if got := tp.sysctl(p); got != v {
			t.Errorf("after down: %s = %s, want %s", p, got, v)
		}
	}
	tp.checkLo(map[string]bool{vip4 + "/32": false, vip6 + "/128": false})
	if tp.answersARP(fd, vip4) {
		t.Error("ARP for the removed VIP is answered after down")
	}
}
