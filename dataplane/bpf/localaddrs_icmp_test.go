//go:build linux

package bpf

import (
	"net/netip"
	"testing"
)

// ICMP errors addressed to a FULLNAT local address about a packet it sent
// from a port of its range go to userspace; echo requests, and errors
// about other ports or protocols, stay with the kernel.
func TestLocalAddrICMPErrors(t *testing.T) {
	s := steeringT(t)
	if err := s.SetLocalAddrs([]LocalAddr{
		{Addr: netip.MustParseAddr(lip4), MinPort: 40000, MaxPort: 49999},
		{Addr: netip.MustParseAddr(lip6), MinPort: 1025, MaxPort: 65535},
	}); err != nil {
		t.Fatal(err)
	}
	const router = "198.18.2.254"
	rip6 := "2001:db8:2::11"
	for _, tt := range []struct {
		name   string
		frame  []byte
		action uint32
		reason string
	}{
		{"port unreachable from the real server", ether().ipv4(rip4, lip4).icmpError(3, ether().ipv4(lip4, rip4).udp(40001, 53), 0).bytes(), xdpRedirect, "steer-icmp-error"},
		{"frag needed from a router", ether().ipv4(router, lip4).icmpError(3, ether().ipv4(lip4, rip4).tcp(49999, 8080), 28).bytes(), xdpRedirect, "steer-icmp-error"},
		{"time exceeded", ether().ipv4(router, lip4).icmpError(11, ether().ipv4(lip4, rip4).tcp(40000, 8080), 0).bytes(), xdpRedirect, "steer-icmp-error"},
		{"icmpv6 packet too big", ether().ipv6(rip6, lip6).icmpError(2, ether().ipv6(lip6, rip6).tcp(1025, 443), 0).bytes(), xdpRedirect, "steer-icmp-error"},
		{"icmpv6 unreachable", ether().ipv6(rip6, lip6).icmpError(1, ether().ipv6(lip6, rip6).udp(65535, 53), 0).bytes(), xdpRedirect, "steer-icmp-error"},
		{"about a port below the range", ether().ipv4(rip4, lip4).icmpError(3, ether().ipv4(lip4, rip4).udp(39999, 53), 0).bytes(), xdpPass, "pass-not-vip"},
		{"about the director's ssh", ether().ipv6(rip6, lip6).icmpError(1, ether().ipv6(lip6, rip6).tcp(22, 40000), 0).bytes(), xdpPass, "pass-not-vip"},
		{"about sctp", ether().ipv4(rip4, lip4).icmpError(3, ether().ipv4(lip4, rip4).sctp(40001, 5000), 0).bytes(), xdpPass, "pass-not-vip"},
		{"parameter problem", ether().ipv4(rip4, lip4).icmpError(12, ether().ipv4(lip4, rip4).udp(40001, 53), 0).bytes(), xdpPass, "pass-not-vip"},
		{"echo request", ether().ipv4(rip4, lip4).icmp().bytes(), xdpPass, "pass-not-vip"},
		{"to another address", ether().ipv4(rip4, "198.18.0.201").icmpError(3, ether().ipv4(lip4, rip4).udp(40001, 53), 0).bytes(), xdpPass, "pass-not-vip"},
	} {
		if action, reason := runFrame(t, s, tt.frame); action != tt.action || reason != tt.reason {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, action, reason, tt.action, tt.reason)
		}
	}
}
