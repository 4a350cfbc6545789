package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/testpkt"
)

const (
	guePort  = 6080
	udpPort  = 5000
	oldVIP4  = "198.18.0.101" // on lo before up: up and down leave it alone
	tcpPort  = 80
	tcpSYN   = 0x02
	tcpSYNAK = 0x12
)

var addr = netip.MustParseAddr

// inner is a packet from the client to dst: UDP to udpPort with payload
// p, or (p == nil) a TCP SYN to tcpPort from sport.
func inner(dst string, sport uint16, p []byte) []byte {
	d := addr(dst)
	b := testpkt.Eth(testpkt.MAC("02:00:00:00:00:01"), testpkt.MAC("02:00:00:00:00:02"))
	if d.Is6() {
		b = b.IPv6(addr(client6), d)
	} else {
		b = b.IPv4(addr(client4), d)
	}
	if p == nil {
		return b.TCP(sport, tcpPort, tcpSYN).Seq(1000).IP()
	}
	return b.UDP(sport, udpPort).Payload(p).IP()
}

func innerProto(pkt []byte) uint8 {
	if pkt[0]>>4 == 6 {
		return header.IPProtoIPv6
	}
	return header.IPProtoIPIP
}

// outerTo starts a frame from the peer to the real server's address of
// the family of outer ("4" or "6").
func (tp *topo) outerTo(family string) testpkt.Builder {
	b := testpkt.Eth(tp.peerMAC, tp.rsMAC)
	if family == "6" {
		return b.IPv6(addr(peer6), addr(rs6))
	}
	return b.IPv4(addr(peer4), addr(rs4))
}

// ipip wraps pkt in an IPIP packet over family.
func (tp *topo) ipip(family string, pkt []byte) []byte {
	return tp.outerTo(family).Transport(innerProto(pkt), pkt).Bytes()
}

// gue wraps pkt in a GUE packet over family, GUE header first byte b0.
func (tp *topo) gue(family string, b0 byte, pkt []byte) []byte {
	return tp.outerTo(family).UDP(50000, guePort).Payload(append([]byte{b0, innerProto(pkt), 0, 0}, pkt...)).Bytes()
}

// listenUDP opens a UDP socket in the real server on addr:udpPort.
func (tp *topo) listenUDP(ip string) *net.UDPConn {
	tp.t.Helper()
	c, err := tp.rs.ListenUDP(net.JoinHostPort(ip, fmt.Sprint(udpPort)))
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.t.Cleanup(func() { c.Close() })
	return c
}

// expectDatagram reads one datagram from c and checks payload and source.
func expectDatagram(t *testing.T, c *net.UDPConn, want []byte, from string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2048)
	n, src, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Errorf("%s: no datagram %q: %v", c.LocalAddr(), want, err)
		return
	}
	if string(buf[:n]) != string(want) || src.Addr().Unmap() != addr(from) {
		t.Errorf("%s: got %q from %v, want %q from %s", c.LocalAddr(), buf[:n], src, want, from)
	}
}

// expectNothing checks that c receives nothing for a while.
func expectNothing(t *testing.T, c *net.UDPConn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	if n, src, err := c.ReadFromUDPAddrPort(buf); err == nil {
		t.Errorf("%s: %s delivered %q from %v", c.LocalAddr(), what, buf[:n], src)
	}
}

// synAck reports whether frame is the real server's SYN-ACK from vip:80
// to the client port sport.
func synAck(vip string, sport uint16) func([]byte) bool {
	return func(frame []byte) bool {
		f, err := testpkt.Decode(frame)
		if err != nil || f.Proto != header.IPProtoTCP || len(f.L4) < header.TCPMinimumSize {
			return false
		}
		tcp := header.TCP(f.L4)
		return f.Src == addr(vip) && tcp.SourcePort() == tcpPort && tcp.DestinationPort() == sport &&
			tcp.Flags() == tcpSYNAK && tcp.AckNumber() == 1001
	}
}

// tunSysctls are the sysctls TUN mode may change, with the values the
// test starts from (all different from what up sets where it sets them).
var tunSysctls = map[string]string{
	"net/ipv4/conf/all/arp_ignore":    "0",
	"net/ipv4/conf/eth0/arp_ignore":   "0",
	"net/ipv4/conf/all/arp_announce":  "0",
	"net/ipv4/conf/eth0/arp_announce": "1",
	"net/ipv4/conf/all/rp_filter":     "1",
	"net/ipv4/conf/eth0/rp_filter":    "1",
}

func TestTunnelModeDeliversToTheVIPAndDownRestores(t *testing.T) {
	netlab.RequireRoot(t)
	tp := newTopo(t)
	for p, v := range tunSysctls {
		must(t, tp.rs.SetSysctl(p, v))
	}
	must(t, tp.rs.AddAddr("lo", oldVIP4+"/32"))

	out := tp.mustRS("up", "--vip", vip4, "--vip", vip6, "--vip", oldVIP4, "--mode", "tun",
		"--tun-type", "gue", "--tun-port", fmt.Sprint(guePort), "--dev", "eth0")
	for _, want := range []string{"added 198.18.0.100/32 to lo", "added fd00:ff::100/128 to lo",
		"net.ipv4.conf.all.rp_filter = 2 (was 1)", "attached the tc-BPF decapsulator (IPIP and GUE on UDP port 6080) to eth0 ingress"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, oldVIP4) {
		t.Errorf("up touched the address that was there before:\n%s", out)
	}
	wantAfterUp := map[string]string{
		"net/ipv4/conf/all/arp_ignore": "1", "net/ipv4/conf/eth0/arp_ignore": "1",
		"net/ipv4/conf/all/arp_announce": "2", "net/ipv4/conf/eth0/arp_announce": "2",
		"net/ipv4/conf/all/rp_filter": "2", "net/ipv4/conf/eth0/rp_filter": "2",
	}
	for p, v := range wantAfterUp {
		if got := tp.sysctl(p); got != v {
			t.Errorf("after up: %s = %s, want %s", p, got, v)
		}
	}

	u4, u6, own := tp.listenUDP(vip4), tp.listenUDP(vip6), tp.listenUDP(rs4)
	fd := tp.packetSocket()
	datagrams := []struct {
		name  string
		frame func(p []byte) []byte
		sock  *net.UDPConn
		from  string
	}{
		{"ipip 4in4", func(p []byte) []byte { return tp.ipip("4", inner(vip4, 40000, p)) }, u4, client4},
		{"ipip 6in6", func(p []byte) []byte { return tp.ipip("6", inner(vip6, 40000, p)) }, u6, client6},
		{"ipip 4in6", func(p []byte) []byte { return tp.ipip("6", inner(vip4, 40000, p)) }, u4, client4},
		{"ipip 6in4", func(p []byte) []byte { return tp.ipip("4", inner(vip6, 40000, p)) }, u6, client6},
		{"gue 4in4", func(p []byte) []byte { return tp.gue("4", 0, inner(vip4, 40000, p)) }, u4, client4},
		{"gue 6in6", func(p []byte) []byte { return tp.gue("6", 0, inner(vip6, 40000, p)) }, u6, client6},
		{"gue 4in6", func(p []byte) []byte { return tp.gue("6", 0, inner(vip4, 40000, p)) }, u4, client4},
	}
	for _, d := range datagrams {
		p := []byte("payload of " + d.name)
		tp.send(fd, d.frame(p))
		expectDatagram(t, d.sock, p, d.from)
	}

	// TCP: a SYN in IPIP (and in GUE over IPv6) reaches the listener on
	// the VIP, whose SYN-ACK comes back from the VIP, unencapsulated.
	for _, c := range []struct {
		name  string
		vip   string
		sport uint16
		frame []byte
	}{
		{"ipip", vip4, 41000, tp.ipip("4", inner(vip4, 41000, nil))},
		{"gue over ipv6", vip6, 41001, tp.gue("6", 0, inner(vip6, 41001, nil))},
	} {
		ln, err := tp.rs.ListenTCP(net.JoinHostPort(c.vip, fmt.Sprint(tcpPort)))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		tp.send(fd, c.frame)
		if receive(fd, 3*time.Second, synAck(c.vip, c.sport)) == nil {
			t.Errorf("TCP SYN in %s to %s: no SYN-ACK from the VIP", c.name, c.vip)
		}
	}

	// Not to a VIP: not decapsulated (the real server's own address has a
	// socket on the port, and the kernel has no ipip module to help).
	tp.send(fd, tp.ipip("4", inner(rs4, 40000, []byte("not for a VIP"))))
	expectNothing(t, own, "IPIP to a non-VIP inner destination")
	// Malformed GUE: version 2, and a GUE header cut short. Dropped.
	tp.send(fd, tp.gue("4", 0x80, inner(vip4, 40000, []byte("GUE version 2"))))
	tp.send(fd, tp.outerTo("4").UDP(50000, guePort).Payload([]byte{0, 4}).Bytes())
	expectNothing(t, u4, "malformed GUE")

	status := tp.mustRS("status")
	for _, want := range []string{
		"mode: --mode tun --dev eth0 --tun-type gue --tun-port 6080 --decap bpf",
		"198.18.0.100/32 on lo (added by xlvs-rs)",
		"fd00:ff::100/128 on lo (added by xlvs-rs)",
		"198.18.0.101/32 on lo (was there before up)",
		"net.ipv4.conf.all.arp_ignore = 1 (was 0)",
		"net.ipv4.conf.eth0.arp_announce = 2 (was 1)",
		"net.ipv4.conf.eth0.rp_filter = 2 (was 1)",
		"decapsulator: attached to eth0 (tc clsact ingress, filter xlvs-decap pref 49374 handle 1",
		"tunnels: IPIP, GUE on UDP port 6080",
		"decap-ipip 5, decap-gue 4, decap-gre 0)",
		"pass-not-vip 1,",
		"dropped      2 (drop-malformed 2, drop-adjust-failed 0, drop-bad-checksum 0)",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	// up again: nothing changes, nothing is added twice.
	if out := tp.mustRS("up", "--vip", vip4, "--vip", vip6, "--vip", oldVIP4, "--mode", "tun",
		"--tun-type", "gue", "--tun-port", fmt.Sprint(guePort), "--dev", "eth0"); out != "already up: nothing changed\n" {
		t.Errorf("second up:\n%s", out)
	}
	// Another mode needs a down first.
	if _, errOut, code := tp.xlvsRS("up", "--vip", vip4, "--mode", "dr"); code != exitConflict ||
		!strings.Contains(errOut, "already up as --mode tun --dev eth0") {
		t.Errorf("up in another mode: exit %d, stderr %q; want %d and the conflict", code, errOut, exitConflict)
	}

	tp.mustRS("down")
	for p, v := range tunSysctls {
		if got := tp.sysctl(p); got != v {
			t.Errorf("after down: %s = %s, want the previous %s", p, got, v)
		}
	}
	tp.checkLo(map[string]bool{vip4 + "/32": false, vip6 + "/128": false, oldVIP4 + "/32": true})
	tp.checkNoClsact()
	if _, err := os.Stat(tp.state); !os.IsNotExist(err) {
		t.Errorf("state file after down: %v", err)
	}
	if _, _, code := tp.xlvsRS("status"); code != exitNotUp {
		t.Errorf("status after down: exit %d, want %d", code, exitNotUp)
	}
}

// checkLo checks which of the prefixes are on the real server's lo.
func (tp *topo) checkLo(want map[string]bool) {
	tp.t.Helper()
	link, err := tp.rs.Link("lo")
	if err != nil {
		tp.t.Fatal(err)
	}
	h := tp.rs.Netlink
	addrs, err := h.AddrList(link, 0)
	if err != nil {
		tp.t.Fatal(err)
	}
	have := map[string]int{}
	for _, a := range addrs {
		have[a.IPNet.String()]++
	}
	for p, on := range want {
		if (have[p] == 1) != on || have[p] > 1 {
			tp.t.Errorf("lo carries %s %d times, want present=%v (addresses: %v)", p, have[p], on, addrs)
		}
	}
}

// checkNoClsact checks that the real server's eth0 has no clsact qdisc.
func (tp *topo) checkNoClsact() {
	tp.t.Helper()
	link, err := tp.rs.Link("eth0")
	if err != nil {
		tp.t.Fatal(err)
	}
	h := tp.rs.Netlink
	qs, err := h.QdiscList(link)
	if err != nil {
		tp.t.Fatal(err)
	}
	for _, q := range qs {
		if q.Type() == "clsact" {
			tp.t.Errorf("eth0 still has a clsact qdisc: %+v", q)
		}
	}
}

// stateFile reads the state file.
func (tp *topo) stateFile() *state {
	tp.t.Helper()
	b, err := os.ReadFile(tp.state)
	if err != nil {
		tp.t.Fatal(err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		tp.t.Fatal(err)
	}
	return &s
}
