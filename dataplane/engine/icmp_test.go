package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// icmpErr builds an ICMP error from src to dst quoting quote (an IP
// packet); rest is the 4-byte rest of header (the MTU of
// fragmentation-needed / packet-too-big).
func icmpErr(b testpkt.Builder, v6 bool, typ, code uint8, rest []byte, quote []byte) []byte {
	body := append(append([]byte(nil), rest...), quote...)
	if v6 {
		return b.ICMPv6(typ, code, body).Bytes()
	}
	return b.ICMPv4(typ, code, body).Bytes()
}

// natConn opens a NAT connection client:cport → vip:vport and returns the
// real server's address.
func natConn(t *testing.T, f *fixture, c, vip netip.Addr, cport, vport uint16, udp bool) netip.Addr {
	t.Helper()
	b := fromClient(c, vip)
	if udp {
		b = b.UDP(cport, vport)
	} else {
		b = b.TCP(cport, vport, packet.TCPSyn)
	}
	f.injectOn(0, linkClient, b.Bytes())
	return mustDecode(t, f.one(1).Frame).Dst
}

func TestICMPFromNATServerReachesClientTranslated(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		name := "ipv4 port unreachable"
		c, vip, typ, code := client(9), vip4, uint8(header.ICMPv4DstUnreachable), uint8(header.ICMPv4PortUnreachable)
		vport, rport := uint16(53), uint16(5353)
		if v6 {
			name = "ipv6 port unreachable"
			c, vip, typ, code = cl6, vip6, header.ICMPv6DstUnreachable, header.ICMPv6PortUnreachable
			vport, rport = 80, 8080
		}
		t.Run(name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
			rip := natConn(t, f, c, vip, 4444, vport, !v6)
			// The real server quotes the packet it received: client → RIP:rport.
			q := fromServer(c, rip)
			if v6 {
				q = q.TCP(4444, rport, packet.TCPSyn)
			} else {
				q = q.UDP(4444, rport).Payload([]byte("query"))
			}
			quote := q.IP()
			f.injectOn(0, linkServer, icmpErr(fromServer(rip, c), v6, typ, code, make([]byte, 4), quote))
			got := f.one(2)
			if got.Link != linkClient {
				t.Errorf("left by link %d, want the client's", got.Link)
			}
			testpkt.Check(t, got.Frame, testpkt.DstMAC(routerMAC), testpkt.Src(vip), testpkt.Dst(c),
				testpkt.ICMP(typ, code), testpkt.ValidChecksums(),
				testpkt.Inner(testpkt.Src(c), testpkt.Dst(vip), testpkt.SrcPort(4444), testpkt.DstPort(vport)))
			if !v6 {
				inner := header.IPv4(mustDecode(t, got.Frame).L4[8:])
				if !inner.IsChecksumValid() {
					t.Errorf("quoted IPv4 header checksum not updated")
				}
			}
			if st := f.eng.DestStats(destSlotOf(f, rip, rport)); st.OutPkts != 1 {
				t.Errorf("real server OutPkts %d, want 1", st.OutPkts)
			}
		})
	}
}

func TestICMPFromClientSideReachesNATServerTranslated(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	c := client(9)
	rip := natConn(t, f, c, vip4, 4444, 80, false)
	// A router towards the client cannot forward our reply VIP:80 → client.
	routerAddr := netip.MustParseAddr("198.19.255.1")
	quote := fromClient(vip4, c).TCP(80, 4444, packet.TCPAck).Payload(make([]byte, 1400)).IP()[:28]
	f.injectOn(0, linkClient, icmpErr(fromClient(routerAddr, vip4), false, header.ICMPv4DstUnreachable,
		header.ICMPv4FragmentationNeeded, []byte{0, 0, 0x05, 0x00}, quote))
	got := f.one(2)
	if got.Link != linkServer {
		t.Errorf("left by link %d, want the server side", got.Link)
	}
	testpkt.Check(t, got.Frame, testpkt.Src(routerAddr), testpkt.Dst(rip), testpkt.ICMP(3, 4), testpkt.ValidChecksums(),
		testpkt.Inner(testpkt.Src(rip), testpkt.SrcPort(8080), testpkt.Dst(c), testpkt.DstPort(4444)))
	if m := dstMAC(got.Frame); m != rs1MAC && m != rs2MAC {
		t.Errorf("to MAC %x, want a real server's", m)
	}
}

func TestICMPToDRServiceForwardedUnchanged(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.inject(0, syn(client(1), 4000, vip4))
	f.poll(1)
	to := dstMAC(f.sent()[0].Frame)
	quote := testpkt.Eth(dirMAC, clientMAC).IPv4(vip4, client(1)).TCP(80, 4000, packet.TCPAck).IP()
	in := icmpErr(testpkt.Eth(clientMAC, dirMAC).IPv4(netip.MustParseAddr("198.19.255.1"), vip4), false,
		header.ICMPv4TimeExceeded, 0, make([]byte, 4), quote)
	f.inject(0, in)
	f.poll(2)
	out := f.sent()
	if len(out) != 1 {
		t.Fatalf("sent %d, want 1 (drops %v)", len(out), f.eng.Counters().Drops)
	}
	if dstMAC(out[0].Frame) != to || string(out[0].Frame[12:]) != string(in[12:]) {
		t.Errorf("DR ICMP error not forwarded to the connection's server unchanged")
	}
}

func TestICMPBadInputCountedAndDropped(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	c := client(9)
	rip := natConn(t, f, c, vip4, 4444, 53, true)
	good := fromServer(c, rip).UDP(4444, 5353).IP()
	cases := []struct {
		name  string
		frame []byte
		want  verdict.DropReason
	}{
		{"echo request", fromClient(c, vip4).ICMPv4(8, 0, []byte{0, 1, 0, 1}).Bytes(), verdict.ICMPNotError},
		{"quote cut inside the ip header", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4), good[:16]), verdict.ICMPBadQuote},
		{"quote cut before the ports", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4), good[:22]), verdict.ICMPBadQuote},
		{"quote with options", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4),
			fromServer(c, rip).IPv4Options([]byte{1, 1, 1, 1}).UDP(4444, 5353).IP()), verdict.ICMPBadQuote},
		{"quote of icmp", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4),
			fromServer(c, rip).ICMPv4(8, 0, make([]byte, 4)).IP()), verdict.ICMPBadQuote},
		{"unrelated flow", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4),
			fromServer(c, rip).UDP(4445, 5353).IP()), verdict.ICMPNoConnection},
		{"unrelated address", icmpErr(fromServer(rip, c), false, 3, 3, make([]byte, 4),
			fromServer(c, netip.MustParseAddr("198.18.9.9")).UDP(4444, 5353).IP()), verdict.ICMPNoConnection},
	}
	for _, tc := range cases {
		before := f.drops(tc.want)
		f.injectOn(0, linkServer, tc.frame)
		f.poll(2)
		if got := f.drops(tc.want) - before; got != 1 {
			t.Errorf("%s: %s drops went up by %d, want 1 (drops %v)", tc.name, tc.want, got, f.eng.Counters().Drops)
		}
	}
	if n := len(f.sent()); n != 0 {
		t.Errorf("%d bad ICMP messages were forwarded", n)
	}
	f.checkFrames()
}

func destSlotOf(f *fixture, rip netip.Addr, port uint16) uint32 {
	for _, d := range f.dests {
		if netip.AddrFrom16(d.Addr).Unmap() == rip && d.Port == port {
			return d.ID
		}
	}
	f.t.Fatalf("no destination %v:%d", rip, port)
	return 0
}
