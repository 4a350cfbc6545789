//go:build linux

package bpf

import (
	"net/netip"
	"testing"
)

// icmpError appends an ICMP (or ICMPv6) error of type typ quoting the IP
// packet of inner (its first n bytes after the Ethernet header; all if
// n is 0).
func (f *frame) icmpError(typ uint8, inner *frame, n int) *frame {
	q := inner.bytes()[inner.l3:]
	if n > 0 {
		q = q[:n]
	}
	body := append([]byte{typ, 0, 0, 0, 0, 0, 0, 0}, q...)
	if f.v6 {
		return f.layer(58, body)
	}
	return f.layer(1, body)
}

func TestICMPErrorSteering(t *testing.T) {
	s := steeringT(t)
	const rs6 = "2001:db8:2::10"
	if err := s.SetNATSources([]ServiceKey{
		{Proto: ProtoUDP, Addr: netip.MustParseAddr(rs4), Port: 5353},
		{Proto: ProtoTCP, Addr: netip.MustParseAddr(rs6), Port: 8080},
	}); err != nil {
		t.Fatal(err)
	}
	const pass, redirect = xdpPass, xdpRedirect
	router := "198.18.3.1"
	tests := []struct {
		name   string
		frame  []byte
		action uint32
		reason string
	}{
		// To a VIP, about a packet the service sent (VIP:vport → client).
		{"frag needed about a service's packet", ether().ipv4(router, vip4).icmpError(3, ether().ipv4(vip4, client4).tcp(80, 1000), 0).bytes(), redirect, "steer-icmp-error"},
		{"time exceeded about a service's packet", ether().ipv4(router, vip4).icmpError(11, ether().ipv4(vip4, client4).udp(53, 1000), 28).bytes(), redirect, "steer-icmp-error"},
		{"port-0 service", ether().ipv4(router, vip4All).icmpError(3, ether().ipv4(vip4All, client4).tcp(4444, 1000), 0).bytes(), redirect, "steer-icmp-error"},
		{"about another port of the vip", ether().ipv4(router, vip4).icmpError(3, ether().ipv4(vip4, client4).tcp(22, 1000), 0).bytes(), pass, "pass-icmp"},
		{"echo request stays with the kernel", ether().ipv4(client4, vip4).icmp().bytes(), pass, "pass-icmp"},
		{"parameter problem stays with the kernel", ether().ipv4(router, vip4).icmpError(12, ether().ipv4(vip4, client4).tcp(80, 1000), 0).bytes(), pass, "pass-icmp"},
		{"quote cut before the ports", ether().ipv4(router, vip4).icmpError(3, ether().ipv4(vip4, client4).tcp(80, 1000), 22).bytes(), pass, "pass-icmp"},
		{"quote with ip options", ether().ipv4(router, vip4).icmpError(3, ether().ipv4(vip4, client4).tcp(80, 1000), 0).with(setByte(28, 0x46)), pass, "pass-icmp"},
		{"icmpv6 packet too big about a service's packet", ether().ipv6(client6, vip6).icmpError(2, ether().ipv6(vip6, client6).tcp(443, 1000), 0).bytes(), redirect, "steer-icmp-error"},
		{"icmpv6 echo", ether().ipv6(client6, vip6).icmp().bytes(), pass, "pass-icmp"},

		// Not to a VIP, about a packet to a NAT real server (client → RIP:rport).
		{"port unreachable from a nat real server", ether().ipv4(rs4, client4).icmpError(3, ether().ipv4(client4, rs4).udp(1000, 5353), 0).bytes(), redirect, "steer-icmp-error"},
		{"time exceeded from a router before it", ether().ipv4(router, client4).icmpError(11, ether().ipv4(client4, rs4).udp(1000, 5353), 28).bytes(), redirect, "steer-icmp-error"},
		{"about another port of the real server", ether().ipv4(rs4, client4).icmpError(3, ether().ipv4(client4, rs4).udp(1000, 53), 0).bytes(), pass, "pass-not-vip"},
		{"about another protocol", ether().ipv4(rs4, client4).icmpError(3, ether().ipv4(client4, rs4).tcp(1000, 5353), 0).bytes(), pass, "pass-not-vip"},
		{"icmpv6 from a nat real server", ether().ipv6(rs6, client6).icmpError(1, ether().ipv6(client6, rs6).tcp(1000, 8080), 0).bytes(), redirect, "steer-icmp-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, reason := runFrame(t, s, tt.frame)
			if action != tt.action || reason != tt.reason {
				t.Errorf("got action %d counted %q, want action %d counted %q", action, reason, tt.action, tt.reason)
			}
		})
	}
}
