package header_test

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func TestICMPv4(t *testing.T) {
	b := make([]byte, header.ICMPv4MinimumSize+4)
	m := header.ICMPv4(b)
	m.Encode(&header.ICMPv4Fields{Type: header.ICMPv4Echo, Rest: 0x1234<<16 | 7})
	copy(m.Payload(), "ping")
	m.SetChecksum(^m.CalculateChecksum())
	if !m.IsChecksumValid() {
		t.Fatal("echo: checksum invalid")
	}
	if m.Type() != header.ICMPv4Echo || m.Code() != 0 || m.Ident() != 0x1234 || m.Sequence() != 7 {
		t.Errorf("echo decoded type %d code %d ident %#x seq %d", m.Type(), m.Code(), m.Ident(), m.Sequence())
	}
	m.Encode(&header.ICMPv4Fields{Type: header.ICMPv4DstUnreachable, Code: header.ICMPv4FragmentationNeeded, Rest: 1400})
	if m.MTU() != 1400 {
		t.Errorf("MTU = %d, want 1400", m.MTU())
	}
	if m.IsChecksumValid() {
		t.Error("checksum valid after changing the message")
	}
}

func TestICMPv6(t *testing.T) {
	b := make([]byte, header.ICMPv6MinimumSize+8)
	m := header.ICMPv6(b)
	m.Encode(&header.ICMPv6Fields{Type: header.ICMPv6PacketTooBig, Rest: 1280})
	s, d := v6a.As16(), v6b.As16()
	m.SetChecksum(^m.CalculateChecksum(header.PseudoHeaderChecksum(header.IPProtoICMPv6, s[:], d[:], uint16(len(b)))))
	if !m.IsChecksumValid(s[:], d[:]) {
		t.Fatal("checksum invalid")
	}
	if m.Type() != header.ICMPv6PacketTooBig || m.MTU() != 1280 {
		t.Errorf("decoded type %d mtu %d", m.Type(), m.MTU())
	}
	c := v6c.As16()
	m.UpdateChecksumPseudoHeaderAddress(d[:], c[:])
	if !m.IsChecksumValid(s[:], c[:]) {
		t.Error("checksum invalid after destination address update")
	}
}

func TestICMPErrorTypes(t *testing.T) {
	for typ, want := range map[uint8]bool{
		header.ICMPv4EchoReply: false, header.ICMPv4DstUnreachable: true, header.ICMPv4SrcQuench: true,
		header.ICMPv4Redirect: true, header.ICMPv4Echo: false, header.ICMPv4TimeExceeded: true,
		header.ICMPv4ParamProblem: true, 13: false,
	} {
		if got := header.IsICMPv4Error(typ); got != want {
			t.Errorf("IsICMPv4Error(%d) = %v", typ, got)
		}
	}
	for typ, want := range map[uint8]bool{
		header.ICMPv6DstUnreachable: true, header.ICMPv6PacketTooBig: true, header.ICMPv6TimeExceeded: true,
		header.ICMPv6ParamProblem: true, header.ICMPv6EchoRequest: false, header.ICMPv6NeighborSolicit: false,
	} {
		if got := header.IsICMPv6Error(typ); got != want {
			t.Errorf("IsICMPv6Error(%d) = %v", typ, got)
		}
	}
}
