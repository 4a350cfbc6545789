package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

func TestMalformedFramesCountedAndDropped(t *testing.T) {
	base := func() testpkt.Builder { return testpkt.Eth(clientMAC, dirMAC).IPv4(client(1), vip4) }
	cases := []struct {
		name  string
		frame []byte
		want  verdict.DropReason
	}{
		{"runt", []byte{1, 2, 3}, verdict.Truncated},
		{"truncated ipv4", base().TCP(1, 80, packet.TCPSyn).Bytes()[:20], verdict.Truncated},
		{"truncated tcp", base().TotalLength(30).TCP(1, 80, packet.TCPSyn).Bytes()[:44], verdict.Truncated},
		{"frame shorter than ip length", base().TCP(1, 80, packet.TCPSyn).Bytes()[:40], verdict.BadLength},
		{"arp", testpkt.Eth(clientMAC, dirMAC).EtherType(0x0806).Payload(make([]byte, 28)).Bytes(), verdict.BadEtherType},
		{"unknown ethertype", testpkt.Eth(clientMAC, dirMAC).EtherType(0x88b5).Payload(make([]byte, 46)).Bytes(), verdict.BadEtherType},
		{"bad version", base().IPVersion(5).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.BadIPVersion},
		{"ihl 4", base().IHL(4).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.BadIHL},
		{"ipv4 options", base().IPv4Options([]byte{1, 1, 1, 0}).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.IPv4Options},
		{"total length too big", base().TotalLength(1400).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.BadLength},
		{"total length too small", base().TotalLength(10).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.BadLength},
		{"first fragment", base().Fragment(0, true).TCP(1, 80, packet.TCPSyn).Bytes(), verdict.Fragment},
		{"later fragment", base().Fragment(185, false).UDP(1, 53).Bytes(), verdict.Fragment},
		{"bad udp length", base().UDP(1, 53).UDPLength(4).Bytes(), verdict.BadLength},
		{"tcp data offset", base().TCP(1, 80, packet.TCPSyn).DataOffset(3).Bytes(), verdict.BadLength},
		{"ipv6 fragment", testpkt.Eth(clientMAC, dirMAC).IPv6(netip.MustParseAddr("fd00:19::1"), vip6).IPv6Ext(44, 8).UDP(1, 80).Bytes(), verdict.Fragment},
		{"icmp echo to vip", base().ICMPv4(8, 0, []byte("ping")).Bytes(), verdict.ICMPNotError},
		{"gre to vip", base().Transport(47, make([]byte, 4)).Bytes(), verdict.UnsupportedProto},
		{"no service port", base().TCP(1, 81, packet.TCPSyn).Bytes(), verdict.NoService},
	}
	f := newFixture(t, 1, "rr")
	for _, c := range cases {
		before := f.drops(c.want)
		f.inject(0, c.frame)
		f.poll(1)
		if got := f.drops(c.want) - before; got != 1 {
			t.Errorf("%s: %s drops went up by %d, want 1 (all drops %v)", c.name, c.want, got, f.eng.Counters().Drops)
		}
	}
	if n := len(f.sent()); n != 0 {
		t.Errorf("%d malformed frames were forwarded", n)
	}
	// The worker is alive and forwards good traffic afterwards.
	f.inject(0, syn(client(9), 9, vip4))
	f.poll(2)
	if n := len(f.sent()); n != 1 {
		t.Errorf("after malformed frames: forwarded %d, want 1", n)
	}
	f.checkFrames()
}
