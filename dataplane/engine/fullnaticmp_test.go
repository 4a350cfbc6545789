package engine

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// ipOf builds a bare IP packet from src to dst.
func ipOf(src, dst netip.Addr) testpkt.Builder {
	b := testpkt.Eth(routerMAC, dirCMAC)
	if dst.Is4() {
		return b.IPv4(src, dst)
	}
	return b.IPv6(src, dst)
}

// keepL4Checksum copies the transport checksum of quoted packet orig into
// want (the same packet with other addresses and ports, which testpkt
// checksummed from scratch): a translated quote keeps the checksum it had,
// as the kernel leaves it.
func keepL4Checksum(orig, want []byte, udp bool) []byte {
	l4 := header.IPv4MinimumSize
	if orig[0]>>4 == 6 {
		l4 = header.IPv6MinimumSize
	}
	off := l4 + 16
	if udp {
		off = l4 + 6
	}
	copy(want[off:off+2], orig[off:off+2])
	return want
}

// fnConn opens a FULLNAT connection c:cport → vip:vport (TCP SYN or a UDP
// datagram) and returns the real server and the local port it took.
func fnConn(t *testing.T, f *fnFixture, w int, c, vip netip.Addr, cport, vport uint16, udp bool) (netip.Addr, uint16, [6]byte) {
	t.Helper()
	b := fromClient(c, vip)
	if udp {
		b = b.UDP(cport, vport).Payload([]byte("query"))
	} else {
		b = b.TCP(cport, vport, packet.TCPSyn).Seq(100)
	}
	f.injectOn(w, linkClient, b.Bytes())
	got := f.one(second)
	d := mustDecode(t, got.Frame)
	return d.Dst, binary.BigEndian.Uint16(d.L4[0:2]), dstMAC(got.Frame)
}

// An error from the client's side about a reply reaches the real server as
// an error from the local address about the packet the server sent; one
// from the real server's side about a forwarded packet reaches the client
// as an error from the VIP about the packet the client sent. Byte for
// byte: every checksum is what a full computation gives.
func TestFullNATICMPErrorsTranslatedBothWays(t *testing.T) {
	router := map[bool]netip.Addr{false: netip.MustParseAddr("198.19.255.1"), true: netip.MustParseAddr("fd00:19::ff")}
	for _, tc := range []struct {
		name      string
		c, vip    netip.Addr
		udp       bool
		vport     uint16
		rport     uint16
		typ, code uint8
		rest      []byte
	}{
		{"ipv4 tcp frag needed", client(9), vip4, false, 80, 8080, header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded, []byte{0, 0, 0x05, 0x00}},
		{"ipv4 udp port unreachable", client(9), vip4, true, 53, 5353, header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, make([]byte, 4)},
		{"ipv6 tcp packet too big", cl6, vip6, false, 80, 8080, header.ICMPv6PacketTooBig, 0, []byte{0, 0, 0x05, 0x00}},
		{"ipv6 udp time exceeded", cl6, vip6, true, 53, 5353, header.ICMPv6TimeExceeded, 0, make([]byte, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
			v6, lip, rtr := tc.vip.Is6(), lipOf(tc.vip), router[tc.vip.Is6()]
			rip, lport, rsMAC := fnConn(t, f, 0, tc.c, tc.vip, 4444, tc.vport, tc.udp)
			seg := func(b testpkt.Builder, sport, dport uint16) testpkt.Builder {
				if tc.udp {
					return b.UDP(sport, dport).Payload([]byte("0123456789"))
				}
				return b.TCP(sport, dport, packet.TCPAck).Seq(7).Ack(8).Payload([]byte("0123456789"))
			}

			// Client side: the router cannot deliver the reply VIP → client.
			quote := seg(ipOf(tc.vip, tc.c), tc.vport, 4444).IP()
			f.injectOn(0, linkClient, icmpErr(fromClient(rtr, tc.vip), v6, tc.typ, tc.code, tc.rest, quote))
			got := f.one(2 * second)
			wantQuote := keepL4Checksum(quote, seg(ipOf(rip, lip), tc.rport, lport).IP(), tc.udp)
			out := testpkt.Eth(dirSMAC, rsMAC)
			if v6 {
				out = out.IPv6(lip, rip)
			} else {
				out = out.IPv4(lip, rip)
			}
			want := icmpErr(out, v6, tc.typ, tc.code, tc.rest, wantQuote)
			if got.Link != linkServer || !bytes.Equal(got.Frame, want) {
				t.Fatalf("to the real server by link %d\n got % x\nwant % x", got.Link, got.Frame, want)
			}
			testpkt.Check(t, got.Frame, testpkt.ValidChecksums())

			// Server side: something on the way to the real server cannot
			// deliver LIP:lport → RIP:rport.
			quote = seg(ipOf(lip, rip), lport, tc.rport).IP()
			f.injectOn(0, linkServer, icmpErr(fromServer(rip, lip), v6, tc.typ, tc.code, tc.rest, quote))
			got = f.one(3 * second)
			wantQuote = keepL4Checksum(quote, seg(ipOf(tc.c, tc.vip), 4444, tc.vport).IP(), tc.udp)
			back := testpkt.Eth(dirCMAC, routerMAC)
			if v6 {
				want = icmpErr(back.IPv6(tc.vip, tc.c), v6, tc.typ, tc.code, tc.rest, wantQuote)
			} else {
				want = icmpErr(back.IPv4(tc.vip, tc.c), v6, tc.typ, tc.code, tc.rest, wantQuote)
			}
			if got.Link != linkClient || !bytes.Equal(got.Frame, want) {
				t.Fatalf("to the client by link %d\n got % x\nwant % x", got.Link, got.Frame, want)
			}
			slot := uint32(0)
			for _, d := range f.dests {
				if netip.AddrFrom16(d.Addr).Unmap() == rip && d.Port == tc.rport {
					slot = d.ID
				}
			}
			if st := f.eng.DestStats(slot); st.InPkts != 2 || st.OutPkts != 1 {
				t.Errorf("real server InPkts %d OutPkts %d, want 2 and 1", st.InPkts, st.OutPkts)
			}
			f.checkFrames()
		})
	}
}

// A quoted packet cut after the ports (RFC 792's 8 bytes) is translated
// too; the quoted IPv4 header checksum stays valid.
func TestFullNATICMPShortQuote(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
	c := client(9)
	rip, lport, _ := fnConn(t, f, 0, c, vip4, 4444, 80, false)
	quote := ipOf(lipA4, rip).TCP(lport, 8080, packet.TCPAck).Payload(make([]byte, 1400)).IP()[:28]
	f.injectOn(0, linkServer, icmpErr(fromServer(netip.MustParseAddr("198.18.1.254"), lipA4), false,
		header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded, []byte{0, 0, 0x05, 0x00}, quote))
	got := f.one(2 * second)
	testpkt.Check(t, got.Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.ICMP(3, 4), testpkt.ValidChecksums(),
		testpkt.Inner(testpkt.Src(c), testpkt.Dst(vip4), testpkt.SrcPort(4444), testpkt.DstPort(80)))
	if inner := header.IPv4(mustDecode(t, got.Frame).L4[8:]); !inner.IsChecksumValid() {
		t.Error("quoted IPv4 header checksum not updated")
	}
}

// With two workers, an error arriving on the worker that does not own the
// connection is handed over: by the client hash from the client's side,
// by the local port from the server's side.
func TestFullNATICMPOnTheWrongWorker(t *testing.T) {
	f := newFullNAT(t, 2, 0, 0, snapshot.ClientAddrNone)
	for i := 0; i < 8; i++ {
		c, cport := client(i), uint16(30000+i)
		o := owner(ptr(c.As16()), cport, 2)
		rip, lport, _ := fnConn(t, f, o, c, vip4, cport, 53, true)
		before := f.eng.Counters().HandoffIn
		quote := ipOf(vip4, c).UDP(53, cport).IP()
		f.injectOn(1-o, linkClient, icmpErr(fromClient(netip.MustParseAddr("198.19.255.1"), vip4), false, 3, 1, make([]byte, 4), quote))
		testpkt.Check(t, f.one(2*second).Frame, testpkt.Src(lipA4), testpkt.Dst(rip),
			testpkt.Inner(testpkt.Src(rip), testpkt.SrcPort(5353), testpkt.Dst(lipA4), testpkt.DstPort(lport)))
		quote = ipOf(lipA4, rip).UDP(lport, 5353).IP()
		f.injectOn(1-int(lport%2), linkServer, icmpErr(fromServer(rip, lipA4), false, 3, 3, make([]byte, 4), quote))
		testpkt.Check(t, f.one(3*second).Frame, testpkt.Src(vip4), testpkt.Dst(c),
			testpkt.Inner(testpkt.Src(c), testpkt.SrcPort(cport), testpkt.Dst(vip4), testpkt.DstPort(53)))
		if got := f.eng.Counters().HandoffIn - before; got != 2 {
			t.Fatalf("flow %d: %d handoffs, want 2", i, got)
		}
	}
	f.checkFrames()
}

// Errors to a local address that match no FULLNAT connection, or quote
// something the local address did not send, are counted and dropped.
func TestFullNATICMPBadInput(t *testing.T) {
	f := newFullNAT(t, 1, 0, 0, snapshot.ClientAddrNone)
	rip, lport, _ := fnConn(t, f, 0, client(9), vip4, 4444, 53, true)
	other := netip.MustParseAddr("198.18.9.9")
	for _, tc := range []struct {
		name  string
		quote []byte
		want  verdict.DropReason
	}{
		{"unknown local port", ipOf(lipA4, rip).UDP(lport+1, 5353).IP(), verdict.ICMPNoConnection},
		{"other real server", ipOf(lipA4, other).UDP(lport, 5353).IP(), verdict.ICMPNoConnection},
		{"tcp for a udp connection", ipOf(lipA4, rip).TCP(lport, 5353, packet.TCPAck).IP(), verdict.ICMPNoConnection},
		{"quote not from the local address", ipOf(other, rip).UDP(lport, 5353).IP(), verdict.ICMPBadQuote},
		{"sctp quote", ipOf(lipA4, rip).SCTP(lport, 5353).Chunks(cData).IP(), verdict.ICMPBadQuote},
	} {
		before := f.drops(tc.want)
		f.injectOn(0, linkServer, icmpErr(fromServer(rip, lipA4), false, 3, 3, make([]byte, 4), tc.quote))
		f.poll(2 * second)
		if got := f.drops(tc.want) - before; got != 1 {
			t.Errorf("%s: %s went up by %d, want 1 (drops %v)", tc.name, tc.want, got, f.eng.Counters().Drops)
		}
	}
	if n := len(f.sent()); n != 0 {
		t.Errorf("%d bad errors forwarded", n)
	}
	f.checkFrames()
}

// The real server's port unreachable answers a one-packet datagram: the
// client gets it and the connection is released.
func TestFullNATICMPAnswersOnePacket(t *testing.T) {
	f := oneFixture(t, snapshot.SvcOnePacket)
	c := client(7)
	rip, lport, _ := fnConn(t, f, 0, c, vip4, 40000, 53, true)
	quote := ipOf(lipA4, rip).UDP(lport, 5353).Payload([]byte("query")).IP()
	f.injectOn(0, linkServer, icmpErr(fromServer(rip, lipA4), false, 3, 3, make([]byte, 4), quote))
	testpkt.Check(t, f.one(2*second).Frame, testpkt.Src(vip4), testpkt.Dst(c), testpkt.ICMP(3, 3), testpkt.ValidChecksums())
	if l, fc := f.eng.Workers()[0].ct.Len(), f.eng.FullNATCounters(); l != 0 || fc.PortsReleased != 1 {
		t.Fatalf("%d connections left, %d ports released; want 0 and 1", l, fc.PortsReleased)
	}
	f.checkFrames()
}

// TestFullNATICMPAndOnePacketAllocateNothing guards this file's paths and
// onepacket.go's: ICMP errors both ways on the wrong worker, one-packet
// datagrams detached to wait, released by their reply or by the window.
func TestFullNATICMPAndOnePacketAllocateNothing(t *testing.T) {
	f := newFullNAT(t, 2, 0, 0, snapshot.ClientAddrNone)
	f.svcs[0].Dests = []uint32{0} // natRS1 only: the errors come from it
	f.svcs[1].Flags = snapshot.SvcOnePacket
	f.publishFN()
	for _, p := range f.ports {
		p.Recycle = true
	}
	rtr := netip.MustParseAddr("198.19.255.1")
	// Ports go out in order per worker within a run (see
	// TestFullNATAllocatesNothing); every run starts after the previous
	// one's connections expired, so each worker's cursor moves on.
	// TCP and UDP have pools of their own.
	nextTCP, nextUDP := [2]uint16{1026, 1025}, [2]uint16{1026, 1025}
	batches := make([][]injected, 301)
	for i := range batches {
		cl, sport := client(i%50), uint16(i+1)
		o := owner(ptr(cl.As16()), sport, 2)
		lt := nextTCP[o] // the TCP connection's port
		nextTCP[o] += 2
		lu1, lu2 := nextUDP[o], nextUDP[o]+2 // the two datagrams'
		nextUDP[o] += 4
		batches[i] = []injected{
			{1 - o, linkClient, fromClient(cl, vip4).TCP(sport, 80, packet.TCPSyn).Seq(1000).Bytes()},
			{1 - o, linkClient, icmpErr(fromClient(rtr, vip4), false, 3, 4, []byte{0, 0, 5, 0}, ipOf(vip4, cl).TCP(80, sport, packet.TCPAck).IP())},
			{1 - o, linkServer, icmpErr(fromServer(natRS1, lipA4), false, 3, 4, []byte{0, 0, 5, 0}, ipOf(lipA4, natRS1).TCP(lt, 8080, packet.TCPAck).IP())},
			{1 - o, linkClient, fromClient(cl, vip4).UDP(sport, 53).Payload([]byte("q1")).Bytes()},
			{1 - o, linkClient, fromClient(cl, vip4).UDP(sport, 53).Payload([]byte("q2")).Bytes()},
			{1 - o, linkServer, fromServer(natRS1, lipA4).UDP(5353, lu1).Payload([]byte("a1")).Bytes()},
			{1 - o, linkServer, icmpErr(fromServer(natRS1, lipA4), false, 3, 3, make([]byte, 4), ipOf(lipA4, natRS1).UDP(lu2, 5353).IP())},
		}
	}
	run := 0
	allocs := testing.AllocsPerRun(300, func() {
		now := int64(run+1) * 1000 * second
		for _, in := range batches[run] {
			f.ports[in.worker].Inject(in.link, in.frame)
			f.poll(now)
		}
		run++
	})
	if allocs != 0 {
		t.Errorf("FULLNAT ICMP and -o allocate %.1f times per run, want 0", allocs)
	}
	cnt, fc := f.eng.Counters(), f.eng.FullNATCounters()
	if cnt.TxPackets < 300*7 || fc.PortsReleased < 290*3 || cnt.HandoffIn < 300*7 {
		t.Fatalf("the test measured too little: %d sent, %d handed off, %+v, drops %v", cnt.TxPackets, cnt.HandoffIn, fc, cnt.Drops)
	}
}
