//go:build linux

package bpf

import (
	"net/netip"
	"testing"
)

// TestSCTPSteering runs SCTP frames through the XDP program
// (BPF_PROG_RUN): SCTP services of both families, port-0 SCTP services,
// replies of NAT SCTP real servers, ICMP errors about SCTP packets, and
// truncated SCTP headers (irregular: the workers drop them with a reason).
func TestSCTPSteering(t *testing.T) {
	s := loadT(t)
	const vip6SCTP, vip4All = "2001:db8::33", "198.18.0.33"
	if err := s.SetServices([]ServiceKey{
		{Proto: ProtoSCTP, Addr: netip.MustParseAddr(vip4), Port: 3868},
		{Proto: ProtoSCTP, Addr: netip.MustParseAddr(vip6SCTP), Port: 2905},
		{Proto: ProtoSCTP, Addr: netip.MustParseAddr(vip4All), Port: 0},
		{Proto: ProtoTCP, Addr: netip.MustParseAddr(vip4), Port: 80},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNATSources([]ServiceKey{{Proto: ProtoSCTP, Addr: netip.MustParseAddr(rs4), Port: 13868}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetXSK(loopbackIndex(t), 0, xskFD(t)); err != nil {
		t.Fatal(err)
	}
	const pass, redirect = xdpPass, xdpRedirect
	tests := []steerCase{
		{"ipv4 sctp service", ether().ipv4(client4, vip4).sctp(5000, 3868).payload(20).bytes(), redirect, "steer-service-ipv4"},
		{"ipv6 sctp service", ether().ipv6(client6, vip6SCTP).sctp(5000, 2905).payload(20).bytes(), redirect, "steer-service-ipv6"},
		{"port-0 sctp service", ether().ipv4(client4, vip4All).sctp(5000, 9).bytes(), redirect, "steer-service-ipv4"},
		{"tcp port of an sctp service", ether().ipv4(client4, vip4).tcp(5000, 3868).bytes(), pass, "pass-no-service"},
		{"sctp to a tcp service's port", ether().ipv4(client4, vip4).sctp(5000, 80).bytes(), pass, "pass-no-service"},
		{"sctp common header cut", ether().ipv4(client4, vip4).sctp(5000, 3868).with(cutL4(8)), redirect, "steer-irregular"},
		{"nat sctp reply", ether().ipv4(rs4, client4).sctp(13868, 5000).payload(20).bytes(), redirect, "steer-nat-reply"},
		{"sctp from another port of the real server", ether().ipv4(rs4, client4).sctp(13869, 5000).bytes(), pass, "pass-not-vip"},
		{"udp from the nat sctp port", ether().ipv4(rs4, client4).udp(13868, 5000).bytes(), pass, "pass-not-vip"},
		{"icmp error about an sctp packet to the real server", ether().ipv4(rs4, client4).icmpError(3, ether().ipv4(client4, rs4).sctp(5000, 13868), 0).bytes(), redirect, "steer-icmp-error"},
		{"icmp error about the service's sctp packet", ether().ipv4("198.18.3.1", vip4).icmpError(3, ether().ipv4(vip4, client4).sctp(3868, 5000), 0).bytes(), redirect, "steer-icmp-error"},
	}
	runCases(t, s, tests)
}
