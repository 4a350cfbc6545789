package engine

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

func TestIPIPEncapsulation(t *testing.T) {
	cases := []struct {
		name         string
		in           []byte
		rip, src     netip.Addr
		outerProto   uint8
		innerSrc     netip.Addr
		innerDst     netip.Addr
		innerDstPort uint16
	}{
		{"ipv4 in ipv4", fromClient(client(1), vip4).TTL(33).TOS(0x28).TCP(4000, 80, packet.TCPSyn).Payload([]byte("abc")).Bytes(),
			netip.Addr{}, dirS4, header.IPProtoIPIP, client(1), vip4, 80},
		{"ipv6 in ipv6", fromClient(cl6, vip6).TTL(33).TCP(4000, 80, packet.TCPSyn).Payload([]byte("abc")).Bytes(),
			natRS6, dirS6, header.IPProtoIPv6, cl6, vip6, 80},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunIPIP)
			f.injectOn(0, linkClient, c.in)
			got := f.one(1)
			if got.Link != linkServer {
				t.Errorf("left by link %d, want the server side", got.Link)
			}
			d := mustDecode(t, got.Frame)
			if c.rip.IsValid() && d.Dst != c.rip {
				t.Errorf("outer destination %v, want %v", d.Dst, c.rip)
			}
			if d.Dst != natRS1 && d.Dst != natRS2 && d.Dst != natRS6 {
				t.Errorf("outer destination %v is no real server", d.Dst)
			}
			testpkt.Check(t, got.Frame, testpkt.SrcMAC(dirSMAC), testpkt.Src(c.src), testpkt.Proto(c.outerProto),
				testpkt.TTL(33), testpkt.ValidChecksums(), testpkt.IPLen(len(c.in)-14+len(d.IP)-len(d.L4)),
				testpkt.Inner(testpkt.Src(c.innerSrc), testpkt.Dst(c.innerDst), testpkt.DstPort(c.innerDstPort),
					testpkt.Payload([]byte("abc")), testpkt.ValidChecksums()))
			if !bytes.Equal(d.L4, c.in[14:]) {
				t.Errorf("inner packet changed:\n got % x\nwant % x", d.L4, c.in[14:])
			}
			if d.Family == 4 && header.IPv4(d.IP).TOS() != 0x28 {
				t.Errorf("outer TOS %#x, want the inner 0x28", header.IPv4(d.IP).TOS())
			}
		})
	}
}

func TestGUEEncapsulation(t *testing.T) {
	for _, csum := range []bool{false, true} {
		name := "nocsum"
		if csum {
			name = "csum"
		}
		t.Run(name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunGUE)
			for i := range f.dests {
				f.dests[i].TunPort = 6080
				if csum {
					f.dests[i].TunFlags = snapshot.TunFlagCsum
				}
			}
			f.publish()
			for _, in := range [][]byte{
				fromClient(client(1), vip4).UDP(4000, 53).Payload([]byte("query")).Bytes(),
				fromClient(cl6, vip6).TCP(4000, 80, packet.TCPSyn).Payload([]byte("query")).Bytes(),
			} {
				f.injectOn(0, linkClient, in)
				got := f.one(1)
				d := mustDecode(t, got.Frame)
				innerProto, src := uint8(header.IPProtoIPIP), dirS4
				if in[12] == 0x86 {
					innerProto, src = header.IPProtoIPv6, dirS6
				}
				testpkt.Check(t, got.Frame, testpkt.Src(src), testpkt.Proto(header.IPProtoUDP), testpkt.DstPort(6080))
				// IPVS sends GUE without checksum as zero over IPv6 too
				// (RFC 6935 allows it for tunnels).
				if csum || d.Family == 4 {
					testpkt.Check(t, got.Frame, testpkt.ValidChecksums())
				}
				udp := header.UDP(d.L4)
				if sp := udp.SourcePort(); sp < 32768 || sp > 60999 {
					t.Errorf("GUE source port %d outside the ephemeral range", sp)
				}
				if int(udp.Length()) != len(d.L4) {
					t.Errorf("UDP length %d, datagram %d bytes", udp.Length(), len(d.L4))
				}
				if csum == (udp.Checksum() == 0) {
					t.Errorf("UDP checksum %#04x with --tun-csum=%v", udp.Checksum(), csum)
				}
				if gue := d.L4[8:12]; !bytes.Equal(gue, []byte{0, innerProto, 0, 0}) {
					t.Errorf("GUE header % x, want version 0 proto %d", gue, innerProto)
				}
				if !bytes.Equal(d.L4[12:], in[14:]) {
					t.Errorf("inner packet changed")
				}
			}
		})
	}
}

func TestTunnelUsesHeadroomOrMovesTheFrame(t *testing.T) {
	in := fromClient(client(1), vip4).UDP(4000, 53).Payload([]byte("query")).Bytes()
	var out [2][]byte
	for i, off := range []uint64{0, 256} {
		f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunIPIP)
		p := f.ports[0]
		var d port.Desc
		p.Alloc(&d)
		d.Addr += off
		d.Len = uint32(copy(p.Buffer()[d.Addr:], in))
		p.InjectDesc(d)
		out[i] = f.one(1).Frame
		f.checkFrames()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("encapsulation differs with headroom:\n% x\n% x", out[0], out[1])
	}
}

func TestTunnelTooBigAnswersWithICMP(t *testing.T) {
	big := make([]byte, 1500-20-20)
	cases := []struct {
		name    string
		tun     uint8
		in      []byte
		wantMTU uint32
		v6      bool
	}{
		{"ipip df", snapshot.TunIPIP, fromClient(client(1), vip4).Fragment(0, false).TCP(4000, 80, packet.TCPAck).Payload(big).Bytes(), 1480, false},
		{"gue df", snapshot.TunGUE, fromClient(client(1), vip4).TCP(4000, 80, packet.TCPAck).Payload(big).Bytes(), 1468, false},
		{"ipv6", snapshot.TunIPIP, fromClient(cl6, vip6).TCP(4000, 80, packet.TCPAck).Payload(big[:1500-40-20]).Bytes(), 1460, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoArmed(t, 1, snapshot.MethodTunnel, c.tun)
			for i := range f.dests {
				f.dests[i].TunPort = 6080
			}
			f.publish()
			in := c.in
			if !c.v6 {
				setDF(in)
			}
			// An established flow: the SYN went through first.
			syn := fromClient(mustDecode(t, in).Src, mustDecode(t, in).Dst).TCP(4000, 80, packet.TCPSyn).Bytes()
			f.injectOn(0, linkClient, syn)
			f.one(1)
			f.injectOn(0, linkClient, in)
			got := f.one(2)
			if got.Link != linkClient {
				t.Errorf("ICMP error left by link %d, want the client's", got.Link)
			}
			d := mustDecode(t, in)
			typ, code := uint8(header.ICMPv4DstUnreachable), uint8(header.ICMPv4FragmentationNeeded)
			if c.v6 {
				typ, code = header.ICMPv6PacketTooBig, 0
			}
			testpkt.Check(t, got.Frame, testpkt.DstMAC(routerMAC), testpkt.SrcMAC(dirCMAC),
				testpkt.Src(d.Dst), testpkt.Dst(d.Src), testpkt.ICMP(typ, code), testpkt.ValidChecksums(),
				testpkt.Inner(testpkt.Src(d.Src), testpkt.Dst(d.Dst), testpkt.DstPort(80)))
			e := mustDecode(t, got.Frame)
			var mtu uint32
			if c.v6 {
				mtu = binary.BigEndian.Uint32(e.L4[4:8])
				if len(e.IP) > header.IPv6MinimumMTU {
					t.Errorf("ICMPv6 error of %d bytes exceeds the IPv6 minimum MTU", len(e.IP))
				}
			} else {
				mtu = uint32(binary.BigEndian.Uint16(e.L4[6:8]))
				if len(e.IP) > 576 {
					t.Errorf("ICMP error of %d bytes exceeds 576", len(e.IP))
				}
			}
			if mtu != c.wantMTU {
				t.Errorf("reported MTU %d, want %d", mtu, c.wantMTU)
			}
			if f.drops(verdict.TooBig) != 1 {
				t.Errorf("too-big drops %d, want 1", f.drops(verdict.TooBig))
			}
			f.checkFrames()
		})
	}
}

func TestTunnelTooBigWithoutDFIsDroppedCounted(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodTunnel, snapshot.TunIPIP)
	f.injectOn(0, linkClient, fromClient(client(1), vip4).UDP(4000, 53).Payload(make([]byte, 1472)).Bytes())
	f.poll(1)
	if n := len(f.sent()); n != 0 || f.drops(verdict.TooBigNoDF) != 1 {
		t.Errorf("sent %d, too-big-not-df %d; want 0 and 1", n, f.drops(verdict.TooBigNoDF))
	}
	f.checkFrames()
}

// setDF sets the don't-fragment bit of the IPv4 packet in an untagged
// frame and fixes the header checksum.
func setDF(frame []byte) {
	ip := header.IPv4(frame[14:])
	ip.SetFlagsFragmentOffset(header.IPv4FlagDontFragment, 0)
	ip.SetChecksum(0)
	ip.SetChecksum(^ip.CalculateChecksum())
}
