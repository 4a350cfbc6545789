package testpkt_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var (
	macA = testpkt.MAC("02:00:00:00:00:0a")
	macB = testpkt.MAC("02:00:00:00:00:0b")
	c4   = netip.MustParseAddr("198.18.0.1")
	v4   = netip.MustParseAddr("198.18.100.1")
	c6   = netip.MustParseAddr("2001:db8::1")
	v6   = netip.MustParseAddr("2001:db8:100::1")
)

// recorder is a testing.TB that records failures instead of reporting
// them, to test the checkers.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestBuildIPv4TCPBytes(t *testing.T) {
	frame := testpkt.Eth(macA, macB).IPv4(c4, v4).TTL(63).ID(0x0102).
		TCP(40000, 80, header.TCPFlagSyn).Seq(7).Payload([]byte("hi")).Bytes()
	if len(frame) != 14+20+20+2 {
		t.Fatalf("frame length %d, want 56", len(frame))
	}
	wantPrefix := []byte{
		2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 42, 1, 2, 0, 0, 63, 6, // IPv4 up to checksum
	}
	if !bytes.Equal(frame[:len(wantPrefix)], wantPrefix) {
		t.Errorf("frame starts\n% x\nwant\n% x", frame[:len(wantPrefix)], wantPrefix)
	}
	ip := header.IPv4(frame[14:])
	tcp := header.TCP(frame[34:])
	if !ip.IsChecksumValid() || !tcp.IsChecksumValid(ip.SourceAddressSlice(), ip.DestinationAddressSlice()) {
		t.Error("checksums invalid")
	}
	if tcp.SourcePort() != 40000 || tcp.DestinationPort() != 80 || tcp.Flags() != header.TCPFlagSyn || tcp.SequenceNumber() != 7 || string(tcp.Payload()) != "hi" {
		t.Errorf("TCP header % x", frame[34:])
	}
}

func TestBuildAndCheck(t *testing.T) {
	icmpEcho := []byte{0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'}
	tests := []struct {
		name   string
		b      testpkt.Builder
		checks []testpkt.Checker
	}{
		{"ipv4 udp", testpkt.Eth(macA, macB).IPv4(c4, v4).UDP(5353, 53).Payload([]byte("q")),
			[]testpkt.Checker{testpkt.Proto(header.IPProtoUDP), testpkt.SrcPort(5353), testpkt.DstPort(53), testpkt.Payload([]byte("q")), testpkt.IPLen(29)}},
		{"ipv6 tcp with options", testpkt.Eth(macA, macB).IPv6(c6, v6).TTL(5).TCP(1, 443, header.TCPFlagAck).Ack(99).TCPOptions([]byte{2, 4, 5, 0xb4}),
			[]testpkt.Checker{testpkt.TTL(5), testpkt.Ack(99), testpkt.TCPFlags(header.TCPFlagAck), testpkt.Payload(nil), testpkt.IPLen(64)}},
		{"qinq ipv6 udp behind ext headers", testpkt.Eth(macA, macB).VLAN(10).VLAN(20).IPv6(c6, v6).IPv6Ext(header.IPProtoHopByHop, 8).IPv6Ext(header.IPProtoDstOpts, 16).UDP(1, 2),
			[]testpkt.Checker{testpkt.VLAN(10), testpkt.Proto(header.IPProtoUDP), testpkt.DstPort(2)}},
		{"icmpv4 echo", testpkt.Eth(macA, macB).IPv4(c4, v4).ICMPv4(header.ICMPv4Echo, 0, icmpEcho),
			[]testpkt.Checker{testpkt.ICMP(header.ICMPv4Echo, 0), testpkt.Payload([]byte("ping"))}},
		{"icmpv6 echo", testpkt.Eth(macA, macB).IPv6(c6, v6).ICMPv6(header.ICMPv6EchoRequest, 0, icmpEcho),
			[]testpkt.Checker{testpkt.ICMP(header.ICMPv6EchoRequest, 0)}},
		{"sctp", testpkt.Eth(macA, macB).IPv4(c4, v4).SCTP(9, 10).Payload([]byte{0, 0, 0, 4}),
			[]testpkt.Checker{testpkt.SrcPort(9), testpkt.DstPort(10)}},
		{"udp without checksum", testpkt.Eth(macA, macB).IPv4(c4, v4).UDP(1, 2).L4Checksum(0), nil},
		{"padded", testpkt.Eth(macA, macB).IPv4(c4, v4).UDP(1, 2).Pad(10), []testpkt.Checker{testpkt.IPLen(28)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := tt.b.Bytes()
			f, err := testpkt.Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			if wantET := map[int]uint16{4: header.EtherTypeIPv4, 6: header.EtherTypeIPv6}[f.Family]; f.EtherType != wantET {
				t.Errorf("family %d with EtherType %#x", f.Family, f.EtherType)
			}
			all := append([]testpkt.Checker{testpkt.SrcMAC(macA), testpkt.DstMAC(macB), testpkt.ValidChecksums()}, tt.checks...)
			testpkt.Check(t, frame, all...)
		})
	}
}

func TestCorruptions(t *testing.T) {
	base := testpkt.Eth(macA, macB).IPv4(c4, v4).TCP(1, 2, 0).Payload(make([]byte, 10))
	tests := []struct {
		name string
		b    testpkt.Builder
		off  int
		want byte
	}{
		{"IHL", base.IHL(4), 14, 0x44},
		{"version", base.IPVersion(6), 14, 0x65},
		{"total length", base.TotalLength(0x0102), 16, 0x01},
		{"MF", base.Fragment(0, true), 20, 0x20},
		{"offset", base.Fragment(8, false), 21, 0x01},
		{"options", base.IPv4Options([]byte{1}), 14, 0x46},
		{"data offset", base.DataOffset(4), 14 + 20 + 12, 0x40},
		{"ethertype", base.EtherType(header.EtherTypeARP), 13, 0x06},
		{"vlan tpid", base.VLAN(5), 12, 0x81},
	}
	for _, tt := range tests {
		frame := tt.b.Bytes()
		if frame[tt.off] != tt.want {
			t.Errorf("%s: byte %d = %#02x, want %#02x", tt.name, tt.off, frame[tt.off], tt.want)
		}
		if tt.name != "ethertype" && tt.name != "vlan tpid" && tt.name != "data offset" {
			ihl := int(frame[14]&0xf) * 4
			if ihl >= 20 && !header.IPv4(frame[14:]).IsChecksumValid() {
				t.Errorf("%s: IPv4 header checksum not recomputed", tt.name)
			}
		}
	}
	if got := len(base.Truncate(20).Bytes()); got != 20 {
		t.Errorf("Truncate(20): %d bytes", got)
	}
	if got := len(base.Bytes()); got != 14+20+20+10 {
		t.Errorf("base builder changed by derived ones: %d bytes", got)
	}
	udp := testpkt.Eth(macA, macB).IPv6(c6, v6).UDP(1, 2).UDPLength(3).Bytes()
	if header.UDP(udp[54:]).Length() != 3 {
		t.Errorf("UDPLength(3): length %d", header.UDP(udp[54:]).Length())
	}
	frag := testpkt.Eth(macA, macB).IPv6(c6, v6).Fragment(16, true).UDP(1, 2).Bytes()
	if frag[14+6] != header.IPProtoFragment || !header.IPv6Fragment(frag[54:]).More() || header.IPv6Fragment(frag[54:]).FragmentOffset() != 16 {
		t.Errorf("IPv6 fragment header missing: % x", frag[14:])
	}
}

func TestPartialChecksum(t *testing.T) {
	for _, b := range []testpkt.Builder{
		testpkt.Eth(macA, macB).IPv4(c4, v4).TCP(1, 2, 0),
		testpkt.Eth(macA, macB).IPv6(c6, v6).UDP(1, 2).Payload([]byte("abc")),
	} {
		frame := b.PartialChecksum().Bytes()
		f, err := testpkt.Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		var s, d []byte
		if f.Family == 4 {
			s, d = header.IPv4(f.IP).SourceAddressSlice(), header.IPv4(f.IP).DestinationAddressSlice()
		} else {
			s, d = header.IPv6(f.IP).SourceAddressSlice(), header.IPv6(f.IP).DestinationAddressSlice()
		}
		want := header.PseudoHeaderChecksum(f.Proto, s, d, uint16(len(f.L4)))
		off := header.TCPChecksumOffset
		if f.Proto == header.IPProtoUDP {
			off = header.UDPChecksumOffset
		}
		if got := uint16(f.L4[off])<<8 | uint16(f.L4[off+1]); got != want {
			t.Errorf("family %d: partial checksum %#04x, want %#04x", f.Family, got, want)
		}
	}
}

func TestCheckersReportMismatches(t *testing.T) {
	frame := testpkt.Eth(macA, macB).VLAN(7).IPv4(c4, v4).TTL(9).TCP(1000, 80, header.TCPFlagSyn).Seq(5).Payload([]byte("x")).Bytes()
	wrong := []testpkt.Checker{
		testpkt.SrcMAC(macB), testpkt.DstMAC(macA), testpkt.VLAN(8), testpkt.VLAN(0),
		testpkt.Src(v4), testpkt.Dst(c4), testpkt.TTL(10), testpkt.Proto(17),
		testpkt.SrcPort(1001), testpkt.DstPort(81), testpkt.TCPFlags(header.TCPFlagAck),
		testpkt.Seq(6), testpkt.Ack(1), testpkt.ICMP(8, 0), testpkt.Payload([]byte("y")), testpkt.IPLen(40),
		testpkt.Inner(),
	}
	for i, c := range wrong {
		r := &recorder{TB: t}
		testpkt.Check(r, frame, c)
		if len(r.errs) != 1 {
			t.Errorf("checker %d: %d failures %q, want 1", i, len(r.errs), r.errs)
		}
	}
	right := []testpkt.Checker{
		testpkt.SrcMAC(macA), testpkt.DstMAC(macB), testpkt.VLAN(7), testpkt.Src(netip.MustParseAddr("::ffff:198.18.0.1")),
		testpkt.Dst(v4), testpkt.TTL(9), testpkt.Proto(6), testpkt.SrcPort(1000), testpkt.DstPort(80),
		testpkt.TCPFlags(header.TCPFlagSyn), testpkt.Seq(5), testpkt.Payload([]byte("x")), testpkt.IPLen(41), testpkt.ValidChecksums(),
	}
	r := &recorder{TB: t}
	testpkt.Check(r, frame, right...)
	if len(r.errs) != 0 {
		t.Errorf("matching checkers failed: %q", r.errs)
	}

	bad := bytes.Clone(frame)
	bad[len(bad)-1] ^= 1
	r = &recorder{TB: t}
	testpkt.Check(r, bad, testpkt.ValidChecksums())
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "protocol 6 checksum") {
		t.Errorf("corrupted payload: failures %q", r.errs)
	}
	r = &recorder{TB: t}
	testpkt.Check(r, frame[:20])
	if len(r.errs) != 1 {
		t.Errorf("undecodable frame: failures %q", r.errs)
	}
}

func TestInner(t *testing.T) {
	inner := testpkt.Eth(macA, macB).IPv4(v4, c4).UDP(53, 5353).Payload(make([]byte, 100)).IP()
	quoted := append([]byte{0, 0, 0x05, 0xdc}, inner[:28]...) // MTU 1500, header + 8 bytes
	icmp := testpkt.Eth(macA, macB).IPv4(v4, c4).ICMPv4(header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded, quoted).Bytes()
	testpkt.Check(t, icmp, testpkt.ValidChecksums(), testpkt.ICMP(3, 4),
		testpkt.Inner(testpkt.Src(v4), testpkt.Dst(c4), testpkt.SrcPort(53), testpkt.DstPort(5353), testpkt.ValidChecksums()))

	ipip := testpkt.Eth(macA, macB).IPv6(c6, v6).Transport(header.IPProtoIPIP, inner).Bytes()
	testpkt.Check(t, ipip, testpkt.Proto(header.IPProtoIPIP), testpkt.Inner(testpkt.Dst(c4), testpkt.IPLen(128), testpkt.ValidChecksums()))

	r := &recorder{TB: t}
	testpkt.Check(r, ipip, testpkt.Inner(testpkt.Dst(v4)))
	if len(r.errs) != 1 {
		t.Errorf("inner mismatch: failures %q", r.errs)
	}
}
