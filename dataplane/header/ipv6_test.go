package header_test

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func TestIPv6EncodeDecode(t *testing.T) {
	b := make([]byte, header.IPv6MinimumSize+8)
	ip := header.IPv6(b)
	ip.Encode(&header.IPv6Fields{TrafficClass: 0xb8, FlowLabel: 0xabcde, PayloadLength: 8, NextHeader: header.IPProtoUDP, HopLimit: 2, SrcAddr: v6a, DstAddr: v6b})
	if b[0] != 0x6b || b[1] != 0x8a || b[2] != 0xbc || b[3] != 0xde {
		t.Errorf("first word % x, want 6b 8a bc de", b[:4])
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Version", ip.Version(), uint8(6)},
		{"TrafficClass", ip.TrafficClass(), uint8(0xb8)},
		{"FlowLabel", ip.FlowLabel(), uint32(0xabcde)},
		{"PayloadLength", ip.PayloadLength(), uint16(8)},
		{"NextHeader", ip.NextHeader(), uint8(header.IPProtoUDP)},
		{"HopLimit", ip.HopLimit(), uint8(2)},
		{"SourceAddress", ip.SourceAddress(), v6a},
		{"DestinationAddress", ip.DestinationAddress(), v6b},
		{"Payload len", len(ip.Payload()), 8},
		{"IsValid", ip.IsValid(len(b)), true},
		{"IsValid short", ip.IsValid(len(b) - 1), false},
		{"DecHopLimit", ip.DecHopLimit(), uint8(1)},
		{"DecHopLimit", ip.DecHopLimit(), uint8(0)},
		{"DecHopLimit at 0", ip.DecHopLimit(), uint8(0)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	b[0] = 0x4b
	if ip.IsValid(len(b)) {
		t.Error("IsValid with version 4 = true")
	}
}

// ext builds an extension header of the given type, next header and
// total size.
func ext(typ, next uint8, size int) []byte {
	b := make([]byte, size)
	b[0] = next
	if typ == header.IPProtoAH {
		b[1] = uint8(size/4 - 2)
	} else {
		b[1] = uint8(size/8 - 1)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestSkipIPv6ExtHeaders(t *testing.T) {
	udp := make([]byte, 8)
	frag := make([]byte, 8)
	header.IPv6Fragment(frag).Encode(&header.IPv6FragmentFields{NextHeader: header.IPProtoUDP, FragmentOffset: 1448, More: true, ID: 9})
	many := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, ext(header.IPProtoDstOpts, header.IPProtoDstOpts, 8)...)
		}
		b[len(b)-8] = header.IPProtoUDP
		return append(b, udp...)
	}
	badAH := ext(header.IPProtoAH, header.IPProtoTCP, 12)
	badAH[1] = 0 // 8 bytes: below AH's minimum of 12
	tests := []struct {
		name      string
		payload   []byte
		next      uint8
		wantProto uint8
		wantOff   int
		wantSt    header.ExtHeaderStatus
	}{
		{"no extension headers", udp, header.IPProtoUDP, header.IPProtoUDP, 0, header.ExtHeaderDone},
		{"hop-by-hop", cat(ext(0, header.IPProtoTCP, 8), udp), header.IPProtoHopByHop, header.IPProtoTCP, 8, header.ExtHeaderDone},
		{"hbh routing dstopts", cat(ext(0, 43, 8), ext(43, 60, 24), ext(60, 17, 16), udp), 0, 17, 48, header.ExtHeaderDone},
		{"AH uses 4-byte units", cat(ext(51, 6, 24), udp), 51, 6, 24, header.ExtHeaderDone},
		{"ESP ends the walk", udp, header.IPProtoESP, header.IPProtoESP, 0, header.ExtHeaderDone},
		{"no next header", nil, header.IPProtoNoNext, header.IPProtoNoNext, 0, header.ExtHeaderDone},
		{"fragment", cat(ext(60, 44, 8), frag, udp), 60, header.IPProtoFragment, 8, header.ExtHeaderFragment},
		{"eight headers", many(8), 60, 17, 64, header.ExtHeaderDone},
		{"nine headers", many(9), 60, 60, 64, header.ExtHeaderTooMany},
		{"header beyond payload", ext(60, 17, 16)[:8], 60, 60, 0, header.ExtHeaderMalformed},
		{"payload shorter than 8", []byte{17, 0, 0, 0}, 60, 60, 0, header.ExtHeaderMalformed},
		{"truncated fragment header", frag[:6], 44, 44, 0, header.ExtHeaderMalformed},
		{"hop-by-hop not first", cat(ext(60, 0, 8), ext(0, 17, 8)), 60, 0, 8, header.ExtHeaderMalformed},
		{"AH length below minimum", cat(badAH, udp), 51, 51, 0, header.ExtHeaderMalformed},
	}
	for _, tt := range tests {
		proto, off, st := header.SkipIPv6ExtHeaders(tt.payload, tt.next, header.IPv6MaxExtHeaders)
		if proto != tt.wantProto || off != tt.wantOff || st != tt.wantSt {
			t.Errorf("%s: got (%d, %d, %d), want (%d, %d, %d)", tt.name, proto, off, st, tt.wantProto, tt.wantOff, tt.wantSt)
		}
	}
}

func TestIPv6Fragment(t *testing.T) {
	b := make([]byte, header.IPv6FragmentHeaderSize)
	f := header.IPv6Fragment(b)
	f.Encode(&header.IPv6FragmentFields{NextHeader: header.IPProtoTCP, FragmentOffset: 2960, More: true, ID: 0xdeadbeef})
	if f.NextHeader() != header.IPProtoTCP || f.FragmentOffset() != 2960 || !f.More() || f.ID() != 0xdeadbeef {
		t.Errorf("decoded next %d offset %d more %v id %#x", f.NextHeader(), f.FragmentOffset(), f.More(), f.ID())
	}
}
