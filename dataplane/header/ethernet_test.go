package header_test

import (
	"bytes"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

func TestEthernetEncodeDecode(t *testing.T) {
	b := make([]byte, header.EthernetMinimumSize)
	src := header.MAC{0x02, 0, 0, 0, 0, 0x01}
	dst := header.MAC{0x02, 0, 0, 0, 0, 0x02}
	e := header.Ethernet(b)
	e.Encode(&header.EthernetFields{SrcAddr: src, DstAddr: dst, Type: header.EtherTypeIPv6})
	want := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	if e.SourceAddress() != src || e.DestinationAddress() != dst || e.Type() != header.EtherTypeIPv6 {
		t.Errorf("decoded src %v dst %v type %#x", e.SourceAddress(), e.DestinationAddress(), e.Type())
	}
	if got := src.String(); got != "02:00:00:00:00:01" {
		t.Errorf("MAC.String = %q", got)
	}
	if !e.IsValid() || header.Ethernet(b[:13]).IsValid() {
		t.Error("IsValid wrong at 14/13 bytes")
	}
}

func TestVLAN(t *testing.T) {
	b := make([]byte, header.VLANTagSize)
	v := header.VLAN(b)
	v.Encode(&header.VLANFields{ID: 0xabc, Priority: 5, Type: header.EtherTypeIPv4})
	if want := []byte{0xaa, 0xbc, 0x08, 0x00}; !bytes.Equal(b, want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	if v.ID() != 0xabc || v.Priority() != 5 || v.Type() != header.EtherTypeIPv4 {
		t.Errorf("decoded id %#x prio %d type %#x", v.ID(), v.Priority(), v.Type())
	}
	// An ID wider than 12 bits does not spill into the priority.
	v.Encode(&header.VLANFields{ID: 0xffff})
	if v.TCI() != 0x0fff {
		t.Errorf("TCI = %#x, want 0x0fff", v.TCI())
	}
	for _, et := range []uint16{header.EtherTypeVLAN, header.EtherTypeQinQ} {
		if !header.IsVLAN(et) {
			t.Errorf("IsVLAN(%#x) = false", et)
		}
	}
	if header.IsVLAN(header.EtherTypeIPv4) {
		t.Error("IsVLAN(IPv4) = true")
	}
}
