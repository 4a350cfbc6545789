package header_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

var (
	v4a = netip.MustParseAddr("198.18.0.1")
	v4b = netip.MustParseAddr("198.18.0.2")
	v4c = netip.MustParseAddr("198.19.255.254")
	v6a = netip.MustParseAddr("2001:db8::1")
	v6b = netip.MustParseAddr("2001:db8::2")
	v6c = netip.MustParseAddr("fd00:ffff::abcd")
)

func TestIPv4EncodeMatchesKnownHeader(t *testing.T) {
	// 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7: a
	// UDP packet 192.168.0.1 → 192.168.0.199 with checksum b861.
	want := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	b := make([]byte, header.IPv4MinimumSize)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{
		TotalLength: 0x73, Flags: header.IPv4FlagDontFragment, TTL: 64, Protocol: header.IPProtoUDP,
		SrcAddr: netip.MustParseAddr("192.168.0.1"), DstAddr: netip.MustParseAddr("::ffff:192.168.0.199"),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded\n% x\nwant\n% x", b, want)
	}
	if !ip.IsChecksumValid() {
		t.Error("IsChecksumValid = false on a correct header")
	}
	b[15]++
	if ip.IsChecksumValid() {
		t.Error("IsChecksumValid = true after corrupting the source address")
	}
}

func TestIPv4Accessors(t *testing.T) {
	b := make([]byte, 64)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{
		TOS: 0xb8, TotalLength: 64, ID: 0x1234, Flags: header.IPv4FlagMoreFragments, FragmentOffset: 1480,
		TTL: 3, Protocol: header.IPProtoTCP, SrcAddr: v4a, DstAddr: v4b, Options: []byte{1, 1, 1},
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"Version", ip.Version(), uint8(4)},
		{"HeaderLength", ip.HeaderLength(), uint8(24)},
		{"TOS", ip.TOS(), uint8(0xb8)},
		{"TotalLength", ip.TotalLength(), uint16(64)},
		{"ID", ip.ID(), uint16(0x1234)},
		{"Flags", ip.Flags(), uint8(header.IPv4FlagMoreFragments)},
		{"FragmentOffset", ip.FragmentOffset(), uint16(1480)},
		{"More", ip.More(), true},
		{"IsFragment", ip.IsFragment(), true},
		{"TTL", ip.TTL(), uint8(3)},
		{"Protocol", ip.Protocol(), uint8(header.IPProtoTCP)},
		{"SourceAddress", ip.SourceAddress(), v4a},
		{"DestinationAddress", ip.DestinationAddress(), v4b},
		{"Options", string(ip.Options()), "\x01\x01\x01\x00"},
		{"Payload len", len(ip.Payload()), 40},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	ip.SetFlagsFragmentOffset(header.IPv4FlagDontFragment, 0)
	if ip.IsFragment() || ip.More() || ip.Flags() != header.IPv4FlagDontFragment {
		t.Errorf("DF only: IsFragment %v More %v Flags %#x", ip.IsFragment(), ip.More(), ip.Flags())
	}
}

func TestIPv4IsValid(t *testing.T) {
	good := func() header.IPv4 {
		b := make([]byte, 40)
		header.IPv4(b).Encode(&header.IPv4Fields{TotalLength: 40, TTL: 1, SrcAddr: v4a, DstAddr: v4b})
		return b
	}
	tests := []struct {
		name    string
		mutate  func(header.IPv4) header.IPv4
		pktSize int
		want    bool
	}{
		{"good", func(b header.IPv4) header.IPv4 { return b }, 40, true},
		{"padding after packet", func(b header.IPv4) header.IPv4 { b.SetTotalLength(30); return b }, 40, true},
		{"short view", func(b header.IPv4) header.IPv4 { return b[:19] }, 19, false},
		{"pktSize beyond view", func(b header.IPv4) header.IPv4 { return b }, 41, false},
		{"version 6", func(b header.IPv4) header.IPv4 { b[0] = 0x65; return b }, 40, false},
		{"IHL 4", func(b header.IPv4) header.IPv4 { b[0] = 0x44; return b }, 40, false},
		{"total length beyond packet", func(b header.IPv4) header.IPv4 { b.SetTotalLength(41); return b }, 40, false},
		{"total length below header", func(b header.IPv4) header.IPv4 { b[0] = 0x46; b.SetTotalLength(22); return b }, 40, false},
	}
	for _, tt := range tests {
		if got := tt.mutate(good()).IsValid(tt.pktSize); got != tt.want {
			t.Errorf("%s: IsValid = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIPv4SetAddressWithChecksumUpdate(t *testing.T) {
	pkt := ipPacket(v4a, v4b, header.IPProtoUDP, segment(header.IPProtoUDP, 1, 2, nil))
	ip := header.IPv4(pkt)
	c4 := v4c.As4()
	ip.SetDestinationAddressWithChecksumUpdate(c4[:])
	if ip.DestinationAddress() != v4c || !ip.IsChecksumValid() {
		t.Errorf("after destination rewrite: dst %v, checksum valid %v", ip.DestinationAddress(), ip.IsChecksumValid())
	}
	ip.SetSourceAddressWithChecksumUpdate(c4[:])
	if ip.SourceAddress() != v4c || !ip.IsChecksumValid() {
		t.Errorf("after source rewrite: src %v, checksum valid %v", ip.SourceAddress(), ip.IsChecksumValid())
	}
}

func TestIPv4DecTTL(t *testing.T) {
	for _, ttl := range []uint8{255, 64, 2, 1} {
		pkt := ipPacket(v4a, v4b, header.IPProtoTCP, segment(header.IPProtoTCP, 1, 2, nil))
		ip := header.IPv4(pkt)
		ip.SetTTL(ttl)
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
		if got := ip.DecTTL(); got != ttl-1 || ip.TTL() != ttl-1 {
			t.Errorf("TTL %d: DecTTL = %d, TTL() = %d", ttl, got, ip.TTL())
		}
		if !ip.IsChecksumValid() {
			t.Errorf("TTL %d: checksum invalid after DecTTL", ttl)
		}
	}
	pkt := ipPacket(v4a, v4b, header.IPProtoTCP, segment(header.IPProtoTCP, 1, 2, nil))
	ip := header.IPv4(pkt)
	ip.SetTTL(0)
	before := append([]byte(nil), pkt...)
	if got := ip.DecTTL(); got != 0 || !bytes.Equal(pkt, before) {
		t.Errorf("TTL 0: DecTTL = %d, header changed %v", got, !bytes.Equal(pkt, before))
	}
}

func TestIPv4EncodePanicsOnLongOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Encode with 41 bytes of options did not panic")
		}
	}()
	header.IPv4(make([]byte, 80)).Encode(&header.IPv4Fields{SrcAddr: v4a, DstAddr: v4b, Options: make([]byte, 41)})
}
