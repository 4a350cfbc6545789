//go:build linux

package bpf

import (
	"errors"
	"net/netip"
	"testing"
)

// TestMarkRules runs frames through the program with mark rules: a rule
// whose mark has a firewall-mark service steers matching packets to any
// destination; the first matching rule decides; a longer prefix still
// sees the rules of the shorter ones; clearing the rules restores the
// kernel's share.
func TestMarkRules(t *testing.T) {
	s := steeringT(t)
	const marked4 = "198.18.5.7"
	http := ether().ipv4(client4, marked4).tcp(40000, 80).bytes()
	if action, reason := runFrame(t, s, http); action != xdpPass || reason != "pass-not-vip" {
		t.Fatalf("before SetMarkRules: got %d %q, want pass-not-vip", action, reason)
	}
	rules := []MarkRule{
		// 198.18.5.0/24 TCP 80 and 443 → a mark with a service.
		{Proto: ProtoTCP, Prefix: netip.MustParsePrefix("198.18.5.0/24"), PortFrom: 80, PortTo: 80, Steer: true},
		{Proto: ProtoTCP, Prefix: netip.MustParsePrefix("198.18.5.0/24"), PortFrom: 443, PortTo: 443, Steer: true},
		// 198.18.5.7/32 port 22 → a mark without service: not steered.
		{Proto: 0, Prefix: netip.MustParsePrefix("198.18.5.7/32"), PortFrom: 22, PortTo: 22},
		// 198.18.0.0/16 UDP 10000-10099 → steered, seen through the longer prefixes too.
		{Proto: ProtoUDP, Prefix: netip.MustParsePrefix("198.18.0.0/16"), PortFrom: 10000, PortTo: 10099, Steer: true},
		// IPv6, all protocols.
		{Prefix: netip.MustParsePrefix("2001:db8:5::/48"), PortFrom: 1, PortTo: 65535, Steer: true},
	}
	if err := s.SetMarkRules(rules); err != nil {
		t.Fatal(err)
	}
	tests := []steerCase{
		{"tcp 80", http, xdpRedirect, "steer-mark"},
		{"tcp 443", ether().ipv4(client4, marked4).tcp(40000, 443).bytes(), xdpRedirect, "steer-mark"},
		{"tcp 8080", ether().ipv4(client4, marked4).tcp(40000, 8080).bytes(), xdpPass, "pass-not-vip"},
		{"udp 80", ether().ipv4(client4, marked4).udp(40000, 80).bytes(), xdpPass, "pass-not-vip"},
		{"ssh: mark without service", ether().ipv4(client4, marked4).tcp(40000, 22).bytes(), xdpPass, "pass-not-vip"},
		{"udp range, /32 entry", ether().ipv4(client4, marked4).udp(40000, 10099).bytes(), xdpRedirect, "steer-mark"},
		{"udp range, /16", ether().ipv4(client4, "198.18.9.9").udp(40000, 10000).bytes(), xdpRedirect, "steer-mark"},
		{"udp past the range", ether().ipv4(client4, "198.18.9.9").udp(40000, 10100).bytes(), xdpPass, "pass-not-vip"},
		{"outside the prefixes", ether().ipv4(client4, "198.19.5.7").tcp(40000, 80).bytes(), xdpPass, "pass-not-vip"},
		{"ipv6", ether().ipv6(client6, "2001:db8:5::1").sctp(40000, 9).bytes(), xdpRedirect, "steer-mark"},
		{"fragment", ether().ipv4(client4, marked4).tcp(40000, 80).with(setByte(6, 0x20)), xdpPass, "pass-not-vip"},
		{"icmp", ether().ipv4(client4, marked4).icmp().bytes(), xdpPass, "pass-not-vip"},
		{"VIP service still steered", ether().ipv4(client4, vip4).tcp(40000, 80).bytes(), xdpRedirect, "steer-service-ipv4"},
	}
	runCases(t, s, tests)
	// A VIP port without an address service, covered by a mark rule.
	if err := s.SetMarkRules([]MarkRule{{Proto: ProtoTCP, Prefix: netip.MustParsePrefix(vip4 + "/32"), PortFrom: 8000, PortTo: 8999, Steer: true}}); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, ether().ipv4(client4, vip4).tcp(40000, 8443).bytes()); action != xdpRedirect || reason != "steer-mark" {
		t.Errorf("VIP port by mark: got %d %q, want steer-mark", action, reason)
	}
	if action, reason := runFrame(t, s, http); action != xdpPass {
		t.Errorf("a replaced rule still steers: %d %q", action, reason)
	}
	if err := s.SetMarkRules(nil); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, ether().ipv4(client4, vip4).tcp(40000, 8443).bytes()); action != xdpPass || reason != "pass-no-service" {
		t.Errorf("after clearing: got %d %q, want pass-no-service", action, reason)
	}
	if n := s.markCountLocked(); n != 0 {
		t.Errorf("mark count %d after clearing", n)
	}
}

func TestMarkRulesRejected(t *testing.T) {
	s := loadT(t)
	p := netip.MustParsePrefix("198.18.0.0/24")
	if err := s.SetMarkRules([]MarkRule{{Proto: 1, Prefix: p}}); !errors.Is(err, ErrProtocol) {
		t.Errorf("ICMP rule: %v, want ErrProtocol", err)
	}
	if err := s.SetMarkRules([]MarkRule{{Proto: ProtoTCP}}); !errors.Is(err, ErrAddress) {
		t.Errorf("rule without prefix: %v, want ErrAddress", err)
	}
	many := make([]MarkRule, MaxMarkRules+1)
	for i := range many {
		many[i] = MarkRule{Proto: ProtoTCP, Prefix: p, PortFrom: uint16(i), PortTo: uint16(i)}
	}
	if err := s.SetMarkRules(many); !errors.Is(err, ErrCapacity) {
		t.Errorf("%d rules on one prefix: %v, want ErrCapacity", len(many), err)
	}
}
