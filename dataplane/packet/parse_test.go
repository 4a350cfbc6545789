package packet_test

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var (
	macC = testpkt.MAC("02:00:00:00:00:01")
	macD = testpkt.MAC("02:00:00:00:00:02")
	cl4  = netip.MustParseAddr("198.18.0.10")
	vip4 = netip.MustParseAddr("198.18.100.1")
	cl6  = netip.MustParseAddr("2001:db8::10")
	vip6 = netip.MustParseAddr("2001:db8:100::1")

	eth = testpkt.Eth(macC, macD)
	v4  = eth.IPv4(cl4, vip4)
	v6  = eth.IPv6(cl6, vip6)
)

func mapped(a netip.Addr) [16]byte { return netip.AddrFrom16(a.As16()).As16() }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  packet.Meta
	}{
		{"ipv4 tcp syn", v4.TCP(40000, 80, packet.TCPSyn).Payload([]byte("abc")).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 54, EtherType: 0x0800, IPLen: 43, Family: 4, Proto: 6,
			TCPFlags: packet.TCPSyn, Src: mapped(cl4), Dst: mapped(vip4), SrcPort: 40000, DstPort: 80}},
		{"ipv4 tcp options and padding", v4.TCP(1, 2, packet.TCPAck|packet.TCPPsh).TCPOptions(make([]byte, 12)).Pad(6).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 66, EtherType: 0x0800, IPLen: 52, Family: 4, Proto: 6,
			TCPFlags: 0x18, Src: mapped(cl4), Dst: mapped(vip4), SrcPort: 1, DstPort: 2}},
		{"vlan ipv4 udp", eth.VLAN(100).IPv4(cl4, vip4).UDP(5353, 53).Payload([]byte("q")).Bytes(), packet.Meta{
			L3Off: 18, L4Off: 38, PayloadOff: 46, EtherType: 0x0800, VLANID: 100, IPLen: 29, Family: 4, Proto: 17,
			Src: mapped(cl4), Dst: mapped(vip4), SrcPort: 5353, DstPort: 53}},
		{"qinq ipv6 udp", eth.VLAN(4095).VLAN(7).IPv6(cl6, vip6).UDP(1, 2).Bytes(), packet.Meta{
			L3Off: 22, L4Off: 62, PayloadOff: 70, EtherType: 0x86dd, VLANID: 4095, IPLen: 48, Family: 6, Proto: 17,
			Src: cl6.As16(), Dst: vip6.As16(), SrcPort: 1, DstPort: 2}},
		{"ipv6 tcp behind hbh routing dstopts ah", v6.IPv6Ext(0, 8).IPv6Ext(43, 24).IPv6Ext(60, 16).IPv6Ext(51, 16).TCP(3, 4, packet.TCPFin).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 118, PayloadOff: 138, EtherType: 0x86dd, IPLen: 124, Family: 6, Proto: 6,
			TCPFlags: packet.TCPFin, Src: cl6.As16(), Dst: vip6.As16(), SrcPort: 3, DstPort: 4}},
		{"ipv6 eight ext headers", v6.IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).IPv6Ext(60, 8).UDP(1, 2).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 118, PayloadOff: 126, EtherType: 0x86dd, IPLen: 112, Family: 6, Proto: 17,
			Src: cl6.As16(), Dst: vip6.As16(), SrcPort: 1, DstPort: 2}},
		{"ipv4 sctp init", v4.SCTP(7, 8).Chunks(sctpInit).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 46, EtherType: 0x0800, IPLen: 52, Family: 4, Proto: 132,
			Src: mapped(cl4), Dst: mapped(vip4), SrcPort: 7, DstPort: 8, SCTPChunk: header.SCTPChunkInit}},
		{"icmpv4 echo", v4.ICMPv4(header.ICMPv4Echo, 0, []byte{0, 1, 0, 1}).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 34, EtherType: 0x0800, IPLen: 28, Family: 4, Proto: 1,
			ICMPType: 8, Src: mapped(cl4), Dst: mapped(vip4)}},
		{"icmpv4 4 bytes", v4.ICMPv4(header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded, nil).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 34, EtherType: 0x0800, IPLen: 24, Family: 4, Proto: 1,
			ICMPType: 3, ICMPCode: 4, Src: mapped(cl4), Dst: mapped(vip4)}},
		{"icmpv6 packet too big", v6.ICMPv6(header.ICMPv6PacketTooBig, 0, []byte{0, 0, 5, 0}).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 54, PayloadOff: 54, EtherType: 0x86dd, IPLen: 48, Family: 6, Proto: 58,
			ICMPType: 2, Src: cl6.As16(), Dst: vip6.As16()}},
		{"icmpv6 inside ipv4 is another protocol", v4.Transport(header.IPProtoICMPv6, []byte{128, 0}).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 34, EtherType: 0x0800, IPLen: 22, Family: 4, Proto: 58,
			Src: mapped(cl4), Dst: mapped(vip4)}},
		{"gre has no ports", v4.Transport(header.IPProtoGRE, make([]byte, 4)).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 34, EtherType: 0x0800, IPLen: 24, Family: 4, Proto: 47,
			Src: mapped(cl4), Dst: mapped(vip4)}},
		{"ipv6 no next header", v6.Transport(header.IPProtoNoNext, nil).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 54, PayloadOff: 54, EtherType: 0x86dd, IPLen: 40, Family: 6, Proto: 59,
			Src: cl6.As16(), Dst: vip6.As16()}},
		{"udp length shorter than ip payload", v4.UDP(1, 2).Payload(make([]byte, 8)).UDPLength(8).Bytes(), packet.Meta{
			L3Off: 14, L4Off: 34, PayloadOff: 42, EtherType: 0x0800, IPLen: 36, Family: 4, Proto: 17,
			Src: mapped(cl4), Dst: mapped(vip4), SrcPort: 1, DstPort: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := packet.Meta{SrcPort: 999, VLANID: 999} // stale values must be cleared
			if r := packet.Parse(tt.frame, &m); r != verdict.None {
				t.Fatalf("Parse = %v, want none", r)
			}
			if m != tt.want {
				t.Errorf("Meta\n got %+v\nwant %+v", m, tt.want)
			}
		})
	}
}

func TestParseDropReasons(t *testing.T) {
	tcp := v4.TCP(1, 80, packet.TCPSyn)
	tcp6 := v6.TCP(1, 80, packet.TCPSyn)
	nine := v6
	for i := 0; i < 9; i++ {
		nine = nine.IPv6Ext(header.IPProtoDstOpts, 8)
	}
	tests := []struct {
		name  string
		frame []byte
		want  verdict.DropReason
	}{
		{"empty", nil, verdict.Truncated},
		{"13 bytes", tcp.Truncate(13).Bytes(), verdict.Truncated},
		{"ethernet only", tcp.Truncate(14).Bytes(), verdict.Truncated},
		{"vlan tag cut", eth.VLAN(1).IPv4(cl4, vip4).UDP(1, 2).Truncate(16).Bytes(), verdict.Truncated},
		{"second vlan tag cut", eth.VLAN(1).VLAN(2).IPv4(cl4, vip4).UDP(1, 2).Truncate(20).Bytes(), verdict.Truncated},
		{"ipv4 header cut", tcp.Truncate(33).Bytes(), verdict.Truncated},
		{"ipv6 header cut", tcp6.Truncate(53).Bytes(), verdict.Truncated},
		{"tcp header cut", tcp.Truncate(53).TotalLength(39).Bytes(), verdict.Truncated},
		{"tcp header cut by ip length", tcp.TotalLength(39).Bytes(), verdict.Truncated},
		{"udp header cut", v6.UDP(1, 2).TotalLength(47).Bytes(), verdict.Truncated},
		{"sctp header cut", v4.SCTP(1, 2).TotalLength(31).Bytes(), verdict.Truncated},
		{"sctp without a chunk", v4.SCTP(1, 2).Bytes(), verdict.Truncated},
		{"sctp chunk header cut", v6.SCTP(1, 2).Payload([]byte{1, 0, 0}).Bytes(), verdict.Truncated},
		{"sctp chunk length 3", v4.SCTP(1, 2).Chunks(header.SCTPChunk{Type: header.SCTPChunkInit, Length: 3}).Bytes(), verdict.BadLength},
		{"sctp chunk beyond packet", v4.SCTP(1, 2).Chunks(header.SCTPChunk{Type: header.SCTPChunkData, Value: make([]byte, 8), Length: 13}).Bytes(), verdict.BadLength},
		{"icmpv4 3 bytes", v4.ICMPv4(8, 0, nil).TotalLength(23).Bytes(), verdict.Truncated},
		{"icmpv6 3 bytes", v6.ICMPv6(128, 0, nil).TotalLength(43).Bytes(), verdict.Truncated},
		{"arp", eth.EtherType(header.EtherTypeARP).Payload(make([]byte, 28)).Bytes(), verdict.BadEtherType},
		{"ipv4 in ipv6 ethertype", v4.UDP(1, 2).EtherType(header.EtherTypeIPv6).Pad(40).Bytes(), verdict.BadIPVersion},
		{"three vlan tags", eth.VLAN(1).VLAN(2).VLAN(3).IPv4(cl4, vip4).UDP(1, 2).Bytes(), verdict.BadEtherType},
		{"unknown ethertype after vlan", eth.VLAN(1).EtherType(0x88cc).Payload(make([]byte, 50)).Bytes(), verdict.BadEtherType},
		{"ipv4 version 6", tcp.IPVersion(6).Bytes(), verdict.BadIPVersion},
		{"ipv6 version 4", tcp6.IPVersion(4).Bytes(), verdict.BadIPVersion},
		{"ihl 4", tcp.IHL(4).Bytes(), verdict.BadIHL},
		{"ihl 0", tcp.IHL(0).Bytes(), verdict.BadIHL},
		{"ipv4 options", tcp.IPv4Options([]byte{0x94, 4, 0, 0}).Bytes(), verdict.IPv4Options},
		{"ihl 6 without options", tcp.IHL(6).Bytes(), verdict.IPv4Options},
		{"total length below header", tcp.TotalLength(19).Bytes(), verdict.BadLength},
		{"total length beyond frame", tcp.TotalLength(41).Bytes(), verdict.BadLength},
		{"frame cut inside payload", tcp.Payload(make([]byte, 10)).Truncate(60).Bytes(), verdict.BadLength},
		{"ipv6 payload length beyond frame", tcp6.TotalLength(61).Bytes(), verdict.BadLength},
		{"tcp data offset 4", tcp.DataOffset(4).Bytes(), verdict.BadLength},
		{"tcp data offset 0", tcp.DataOffset(0).Bytes(), verdict.BadLength},
		{"tcp data offset beyond ip length", tcp.DataOffset(6).Pad(8).Bytes(), verdict.BadLength},
		{"udp length 7", v4.UDP(1, 2).UDPLength(7).Bytes(), verdict.BadLength},
		{"udp length beyond ip payload", v4.UDP(1, 2).UDPLength(9).Pad(4).Bytes(), verdict.BadLength},
		{"ipv4 more fragments", tcp.Fragment(0, true).Bytes(), verdict.Fragment},
		{"ipv4 last fragment", tcp.Fragment(1480, false).Bytes(), verdict.Fragment},
		{"ipv6 fragment header", tcp6.Fragment(0, true).Bytes(), verdict.Fragment},
		{"ipv6 atomic fragment", tcp6.IPv6Ext(header.IPProtoDstOpts, 8).Fragment(0, false).Bytes(), verdict.Fragment},
		{"nine ext headers", nine.UDP(1, 2).Bytes(), verdict.BadExtHeader},
		{"ext header beyond payload", v6.IPv6Ext(header.IPProtoRouting, 16).TotalLength(48).Bytes(), verdict.BadExtHeader},
		{"hop-by-hop not first", v6.IPv6Ext(header.IPProtoDstOpts, 8).IPv6Ext(header.IPProtoHopByHop, 8).UDP(1, 2).Bytes(), verdict.BadExtHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m packet.Meta
			if got := packet.Parse(tt.frame, &m); got != tt.want {
				t.Errorf("Parse = %v, want %v (frame % x)", got, tt.want, tt.frame)
			}
		})
	}
}

func TestMetaAddrs(t *testing.T) {
	var m packet.Meta
	if r := packet.Parse(v4.UDP(1, 2).Bytes(), &m); r != verdict.None {
		t.Fatal(r)
	}
	if m.SrcAddr() != cl4 || m.DstAddr() != vip4 {
		t.Errorf("IPv4 SrcAddr %v DstAddr %v", m.SrcAddr(), m.DstAddr())
	}
	// An IPv4-mapped IPv6 address on the wire stays IPv6.
	mappedV6 := netip.MustParseAddr("::ffff:198.18.0.1")
	if r := packet.Parse(eth.IPv6(mappedV6, vip6).UDP(1, 2).Bytes(), &m); r != verdict.None {
		t.Fatal(r)
	}
	if m.SrcAddr() != mappedV6 || !m.SrcAddr().Is4In6() || m.DstAddr() != vip6 {
		t.Errorf("IPv6 SrcAddr %v DstAddr %v", m.SrcAddr(), m.DstAddr())
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	frames := [][]byte{
		v4.TCP(1, 80, packet.TCPSyn).Bytes(),
		v6.IPv6Ext(header.IPProtoHopByHop, 8).UDP(1, 53).Bytes(),
		eth.VLAN(9).IPv4(cl4, vip4).ICMPv4(8, 0, make([]byte, 8)).Bytes(),
		v4.TCP(1, 80, 0).IHL(4).Bytes(),
	}
	var m packet.Meta
	allocs := testing.AllocsPerRun(1000, func() {
		for _, f := range frames {
			packet.Parse(f, &m)
		}
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}
