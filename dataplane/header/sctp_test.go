package header_test

import (
	"bytes"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

// sctpPacket builds an SCTP packet from sport to dport with the chunks
// and a correct checksum.
func sctpPacket(sport, dport uint16, chunks ...header.SCTPChunk) header.SCTP {
	b := []byte{byte(sport >> 8), byte(sport), byte(dport >> 8), byte(dport), 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}
	for _, c := range chunks {
		b = header.AppendSCTPChunk(b, c)
	}
	p := header.SCTP(b)
	p.SetChecksum(p.CalculateChecksum())
	return p
}

func TestSCTPAccessors(t *testing.T) {
	p := sctpPacket(40000, 3868, header.SCTPChunk{Type: header.SCTPChunkData, Flags: 0x03, Value: []byte{1, 2, 3, 4, 5}})
	checks := []struct {
		name      string
		got, want any
	}{
		{"SourcePort", p.SourcePort(), uint16(40000)},
		{"DestinationPort", p.DestinationPort(), uint16(3868)},
		{"VerificationTag", p.VerificationTag(), uint32(0x12345678)},
		{"ChunkType", p.ChunkType(), uint8(header.SCTPChunkData)},
		{"ChunkFlags", p.ChunkFlags(), uint8(0x03)},
		{"ChunkLength", p.ChunkLength(), uint16(9)},
		{"padded size", len(p), 12 + 12},
		{"IsChecksumValid", p.IsChecksumValid(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	p[20] ^= 1
	if p.IsChecksumValid() {
		t.Errorf("a flipped bit still passes the checksum")
	}
}

// TestSCTPPortRewriteKeepsChecksumError: an intact packet leaves with a
// correct checksum, a corrupted one stays corrupted, an unchanged port
// leaves every byte alone.
func TestSCTPPortRewriteKeepsChecksumError(t *testing.T) {
	init := header.SCTPChunk{Type: header.SCTPChunkInit, Value: make([]byte, 16)}
	p := sctpPacket(40000, 3868, init)
	p.SetPortWithChecksumUpdate(false, 13868)
	if p.DestinationPort() != 13868 || !p.IsChecksumValid() {
		t.Errorf("after the destination rewrite: port %d, checksum valid %v", p.DestinationPort(), p.IsChecksumValid())
	}
	p.SetPortWithChecksumUpdate(true, 5000)
	if p.SourcePort() != 5000 || p.DestinationPort() != 13868 || !p.IsChecksumValid() {
		t.Errorf("after the source rewrite: ports %d %d, checksum valid %v", p.SourcePort(), p.DestinationPort(), p.IsChecksumValid())
	}
	if want := sctpPacket(5000, 13868, init); !bytes.Equal(p, want) {
		t.Errorf("rewritten packet\n% x\nwant\n% x", p, want)
	}

	bad := sctpPacket(40000, 3868, init)
	bad[len(bad)-1] ^= 0x80 // corrupted on the way
	bad.SetPortWithChecksumUpdate(false, 13868)
	if bad.IsChecksumValid() {
		t.Errorf("a corrupted packet passes the checksum after the rewrite")
	}
	bad[len(bad)-1] ^= 0x80 // the receiver's view minus the corruption
	if !bad.IsChecksumValid() {
		t.Errorf("the rewrite changed more than the corruption: syndrome not kept")
	}

	same := sctpPacket(40000, 3868, init)
	same.SetChecksum(0xdeadbeef)
	orig := bytes.Clone(same)
	same.SetPortWithChecksumUpdate(false, 3868)
	if !bytes.Equal(same, orig) {
		t.Errorf("an unchanged port rewrote the packet")
	}
}

func TestAppendSCTPChunkLengthOverride(t *testing.T) {
	b := header.AppendSCTPChunk(nil, header.SCTPChunk{Type: header.SCTPChunkAbort, Flags: 1, Length: 2})
	if !bytes.Equal(b, []byte{6, 1, 0, 2}) {
		t.Errorf("chunk % x", b)
	}
}

func TestSCTPRewriteAllocatesNothing(t *testing.T) {
	p := sctpPacket(1, 2, header.SCTPChunk{Type: header.SCTPChunkData, Value: make([]byte, 1000)})
	port := uint16(3)
	if n := testing.AllocsPerRun(100, func() { port++; p.SetPortWithChecksumUpdate(false, port) }); n != 0 {
		t.Errorf("%.1f allocations per rewrite, want 0", n)
	}
}
