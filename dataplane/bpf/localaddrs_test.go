//go:build linux

package bpf

import (
	"errors"
	"net/netip"
	"testing"
)

const (
	lip4 = "198.18.0.200" // FULLNAT local addresses
	lip6 = "2001:db8::200"
	rip4 = "198.18.2.11" // a FULLNAT real server
)

func TestLocalAddrs(t *testing.T) {
	s := steeringT(t)
	reply := ether().ipv4(rip4, lip4).tcp(8080, 40001).bytes()
	if action, reason := runFrame(t, s, reply); action != xdpPass || reason != "pass-not-vip" {
		t.Fatalf("before SetLocalAddrs: got %d %q, want pass-not-vip", action, reason)
	}
	if err := s.SetLocalAddrs([]LocalAddr{
		{Addr: netip.MustParseAddr(lip4), MinPort: 40000, MaxPort: 49999},
		{Addr: netip.MustParseAddr(lip6), MinPort: 1025, MaxPort: 65535},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		frame  []byte
		action uint32
		reason string
	}{
		{"tcp reply", reply, xdpRedirect, "steer-fullnat-reply"},
		{"udp reply", ether().ipv4(rip4, lip4).udp(53, 49999).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{"first port", ether().ipv4(rip4, lip4).tcp(80, 40000).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{"802.1q", ether(tpid8021Q).ipv4(rip4, lip4).tcp(8080, 40001).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{"ipv6 reply", ether().ipv6("2001:db8:2::11", lip6).tcp(443, 1025).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{"ipv6 reply after ext header", ether().ipv6("2001:db8:2::11", lip6).ext6(60).udp(53, 65535).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{"below the range", ether().ipv4(rip4, lip4).tcp(8080, 39999).bytes(), xdpPass, "pass-not-vip"},
		{"above the range", ether().ipv4(rip4, lip4).tcp(8080, 50000).bytes(), xdpPass, "pass-not-vip"},
		{"ssh to the local address", ether().ipv6("2001:db8:2::11", lip6).tcp(40000, 22).bytes(), xdpPass, "pass-not-vip"},
		{"icmp to the local address", ether().ipv4(rip4, lip4).icmp().bytes(), xdpPass, "pass-not-vip"},
		{"sctp to the local address", ether().ipv4(rip4, lip4).sctp(1, 40001).bytes(), xdpPass, "pass-not-vip"},
		{"fragment", ether().ipv4(rip4, lip4).tcp(8080, 40001).with(setByte(6, 0x20)), xdpRedirect, "steer-irregular"},
		{"truncated tcp", ether().ipv4(rip4, lip4).tcp(8080, 40001).with(cutL4(10)), xdpRedirect, "steer-irregular"},
		{"mapped ipv6 is not the ipv4 address", ether().ipv6("2001:db8:2::11", "::ffff:"+lip4).tcp(80, 40001).bytes(), xdpPass, "pass-not-vip"},
		{"other address", ether().ipv4(rip4, "198.18.0.201").tcp(8080, 40001).bytes(), xdpPass, "pass-not-vip"},
		{"service still wins", ether().ipv4(client4, vip4).tcp(1000, 80).bytes(), xdpRedirect, "steer-service-ipv4"},
	}
	for _, tt := range tests {
		if action, reason := runFrame(t, s, tt.frame); action != tt.action || reason != tt.reason {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, action, reason, tt.action, tt.reason)
		}
	}

	// A new set replaces the old: the IPv6 address goes, the IPv4 range
	// changes.
	if err := s.SetLocalAddrs([]LocalAddr{{Addr: netip.MustParseAddr("::ffff:" + lip4), MinPort: 1025, MaxPort: 1025}}); err != nil {
		t.Fatal(err)
	}
	if n := len(dumpLaddrs(t, s)); n != 1 {
		t.Errorf("%d entries after replacing the set, want 1", n)
	}
	for _, tt := range []struct {
		frame  []byte
		action uint32
		reason string
	}{
		{reply, xdpPass, "pass-not-vip"},
		{ether().ipv4(rip4, lip4).tcp(8080, 1025).bytes(), xdpRedirect, "steer-fullnat-reply"},
		{ether().ipv6("2001:db8:2::11", lip6).tcp(443, 1025).bytes(), xdpPass, "pass-not-vip"},
	} {
		if action, reason := runFrame(t, s, tt.frame); action != tt.action || reason != tt.reason {
			t.Errorf("after replace: got %d %q, want %d %q", action, reason, tt.action, tt.reason)
		}
	}
	if err := s.SetLocalAddrs(nil); err != nil {
		t.Fatal(err)
	}
	if n := len(dumpLaddrs(t, s)); n != 0 {
		t.Errorf("%d entries after clearing", n)
	}
}

func dumpLaddrs(t *testing.T, s *Steering) map[steerVipKey]steerLaddrRange {
	t.Helper()
	out := map[steerVipKey]steerLaddrRange{}
	var k steerVipKey
	var v steerLaddrRange
	it := s.objs.LocalAddrs.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSetLocalAddrsRejects(t *testing.T) {
	s := loadT(t)
	if err := s.SetLocalAddrs([]LocalAddr{{MinPort: 1, MaxPort: 2}}); !errors.Is(err, ErrAddress) {
		t.Errorf("no address: %v", err)
	}
	if err := s.SetLocalAddrs([]LocalAddr{{Addr: netip.MustParseAddr(lip4), MinPort: 2, MaxPort: 1}}); !errors.Is(err, ErrPortRange) {
		t.Errorf("inverted range: %v", err)
	}
	many := make([]LocalAddr, MaxLocalAddrs+1)
	for i := range many {
		many[i] = LocalAddr{Addr: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), MinPort: 1, MaxPort: 2}
	}
	if err := s.SetLocalAddrs(many); !errors.Is(err, ErrCapacity) {
		t.Errorf("%d addresses: %v", len(many), err)
	}
	if err := s.SetLocalAddrs(many[:MaxLocalAddrs]); err != nil {
		t.Errorf("%d addresses: %v", MaxLocalAddrs, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLocalAddrs(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
