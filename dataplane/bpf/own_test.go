//go:build linux

package bpf

import (
	"net/netip"
	"testing"
)

func TestOwnAddrsCapacity(t *testing.T) {
	spec, err := loadSteer()
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.Maps[steerMapOwnAddrs].MaxEntries; got != MaxOwnAddrs {
		t.Errorf("own_addrs has %d entries in steer.c, Go expects %d", got, MaxOwnAddrs)
	}
}

// TestOwnAddressesPassNATSourceReplies: packets from a NAT real server
// (and ICMP errors about packets to one) addressed to one of the
// director's own addresses are replies to its health checks and go to the
// kernel; the same packets to a client are NAT replies and are steered.
func TestOwnAddressesPassNATSourceReplies(t *testing.T) {
	s := steeringT(t)
	const (
		rs6  = "2001:db8:2::10"
		own4 = "198.18.2.1"
		own6 = "2001:db8:2::1"
	)
	if err := s.SetNATSources([]ServiceKey{
		{Proto: ProtoTCP, Addr: netip.MustParseAddr(rs4), Port: 8080},
		{Proto: ProtoUDP, Addr: netip.MustParseAddr(rs4), Port: 0},
		{Proto: ProtoTCP, Addr: netip.MustParseAddr(rs6), Port: 8080},
	}); err != nil {
		t.Fatal(err)
	}
	const pass, redirect = xdpPass, xdpRedirect
	tests := []struct {
		name   string
		frame  []byte
		action uint32
		reason string
	}{
		{"syn-ack to the director", ether().ipv4(rs4, own4).tcp(8080, 40000).bytes(), pass, "pass-own-addr"},
		{"port-0 udp to the director", ether().ipv4(rs4, own4).udp(5353, 40000).bytes(), pass, "pass-own-addr"},
		{"ipv6 syn-ack to the director", ether().ipv6(rs6, own6).tcp(8080, 40000).bytes(), pass, "pass-own-addr"},
		{"port unreachable to the director", ether().ipv4(rs4, own4).icmpError(3, ether().ipv4(own4, rs4).udp(40000, 5353), 0).bytes(), pass, "pass-own-addr"},
		{"nat reply to a client", ether().ipv4(rs4, client4).tcp(8080, 40000).bytes(), redirect, "steer-nat-reply"},
		{"ipv6 nat reply to a client", ether().ipv6(rs6, client6).tcp(8080, 40000).bytes(), redirect, "steer-nat-reply"},
		{"port unreachable to a client", ether().ipv4(rs4, client4).icmpError(3, ether().ipv4(client4, rs4).udp(40000, 5353), 0).bytes(), redirect, "steer-icmp-error"},
		{"other traffic to the director", ether().ipv4(client4, own4).tcp(40000, 22).bytes(), pass, "pass-not-vip"},
		{"other port of the real server to the director", ether().ipv4(rs4, own4).tcp(22, 40000).bytes(), pass, "pass-not-vip"},
	}
	run := func(phase string) {
		for _, tt := range tests {
			action, reason := runFrame(t, s, tt.frame)
			wantAction, wantReason := tt.action, tt.reason
			if phase == "before" && wantReason == "pass-own-addr" {
				// Without the director's addresses, the replies are stolen.
				wantAction, wantReason = redirect, "steer-nat-reply"
				if tt.name == "port unreachable to the director" {
					wantReason = "steer-icmp-error"
				}
			}
			if action != wantAction || reason != wantReason {
				t.Errorf("%s: %s: got action %d counted %q, want action %d counted %q", phase, tt.name, action, reason, wantAction, wantReason)
			}
		}
	}
	run("before")
	if err := s.SetOwnAddrs([]netip.Addr{netip.MustParseAddr(own4), netip.MustParseAddr(own6), netip.MustParseAddr("::ffff:" + own4), {}}); err != nil {
		t.Fatal(err)
	}
	run("with own addresses")
	// Replacing the set removes the stale addresses.
	if err := s.SetOwnAddrs([]netip.Addr{netip.MustParseAddr("198.18.2.2")}); err != nil {
		t.Fatal(err)
	}
	run("before")
	if err := s.SetOwnAddrs(make([]netip.Addr, 0)); err != nil {
		t.Fatal(err)
	}
	many := make([]netip.Addr, MaxOwnAddrs+1)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	if err := s.SetOwnAddrs(many); err == nil {
		t.Error("SetOwnAddrs accepted more than MaxOwnAddrs addresses")
	}
}
