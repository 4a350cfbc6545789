package packet_test

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// sctpInit is an INIT chunk with a 16-byte value (tag, window, streams,
// TSN).
var sctpInit = header.SCTPChunk{Type: header.SCTPChunkInit, Value: make([]byte, 16)}

// TestParseSCTPChunks: the first chunk's type and flags, whatever follows,
// and whether an ABORT is bundled right after it (at the padded offset).
func TestParseSCTPChunks(t *testing.T) {
	c := func(typ, flags uint8, n int) header.SCTPChunk {
		return header.SCTPChunk{Type: typ, Flags: flags, Value: make([]byte, n)}
	}
	tests := []struct {
		name      string
		frame     []byte
		chunk     uint8
		flags     uint8
		abortNext bool
	}{
		{"init", v4.SCTP(1, 2).Chunks(sctpInit).Bytes(), header.SCTPChunkInit, 0, false},
		{"init ack ipv6", v6.SCTP(1, 2).Chunks(c(header.SCTPChunkInitAck, 0, 40)).Bytes(), header.SCTPChunkInitAck, 0, false},
		{"cookie echo", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieEcho, 0, 33)).Bytes(), header.SCTPChunkCookieEcho, 0, false},
		{"cookie echo and data", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieEcho, 0, 33), c(header.SCTPChunkData, 3, 20)).Bytes(), header.SCTPChunkCookieEcho, 0, false},
		{"cookie echo and abort", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieEcho, 0, 33), c(header.SCTPChunkAbort, 0, 0)).Bytes(), header.SCTPChunkCookieEcho, 0, true},
		{"cookie ack and abort", v6.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieAck, 0, 0), c(header.SCTPChunkAbort, 1, 0)).Bytes(), header.SCTPChunkCookieAck, 0, true},
		{"cookie ack", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieAck, 0, 0)).Bytes(), header.SCTPChunkCookieAck, 0, false},
		{"data with flags", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkData, 0x07, 100)).Bytes(), header.SCTPChunkData, 0x07, false},
		{"sack", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkSack, 0, 12)).Bytes(), header.SCTPChunkSack, 0, false},
		{"heartbeat", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkHeartbeat, 0, 8)).Bytes(), header.SCTPChunkHeartbeat, 0, false},
		{"abort with T bit", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkAbort, 1, 0)).Bytes(), header.SCTPChunkAbort, 1, false},
		{"shutdown", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkShutdown, 0, 4)).Bytes(), header.SCTPChunkShutdown, 0, false},
		{"shutdown ack", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkShutdownAck, 0, 0)).Bytes(), header.SCTPChunkShutdownAck, 0, false},
		{"shutdown complete", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkShutdownComplete, 0, 0)).Bytes(), header.SCTPChunkShutdownComplete, 0, false},
		{"error", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkError, 0, 8)).Bytes(), header.SCTPChunkError, 0, false},
		{"forward tsn", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkForwardTSN, 0, 4)).Bytes(), header.SCTPChunkForwardTSN, 0, false},
		{"abort past the packet is not seen", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieEcho, 0, 5)).Bytes(), header.SCTPChunkCookieEcho, 0, false},
		{"ethernet padding after the packet", v4.SCTP(1, 2).Chunks(c(header.SCTPChunkCookieAck, 0, 0)).Pad(20).Bytes(), header.SCTPChunkCookieAck, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m packet.Meta
			if r := packet.Parse(tt.frame, &m); r != verdict.None {
				t.Fatalf("Parse = %v, want none", r)
			}
			if m.SrcPort != 1 || m.DstPort != 2 || m.Proto != header.IPProtoSCTP || int(m.PayloadOff) != int(m.L4Off)+12 {
				t.Errorf("ports %d→%d proto %d payload at %d (L4 at %d)", m.SrcPort, m.DstPort, m.Proto, m.PayloadOff, m.L4Off)
			}
			if m.SCTPChunk != tt.chunk || m.SCTPChunkFlags != tt.flags || m.SCTPAbortNext != tt.abortNext {
				t.Errorf("chunk %d flags %#x abort next %v, want %d %#x %v", m.SCTPChunk, m.SCTPChunkFlags, m.SCTPAbortNext, tt.chunk, tt.flags, tt.abortNext)
			}
		})
	}
}

// TestParseSCTPIgnoresChecksum: the director does not verify the CRC (the
// receiver does), so a bad one parses.
func TestParseSCTPIgnoresChecksum(t *testing.T) {
	var m packet.Meta
	if r := packet.Parse(v4.SCTP(1, 2).Chunks(sctpInit).L4Checksum(0xbad).Bytes(), &m); r != verdict.None || m.SCTPChunk != header.SCTPChunkInit {
		t.Errorf("Parse = %v, chunk %d", r, m.SCTPChunk)
	}
}

func TestParseSCTPDoesNotAllocate(t *testing.T) {
	f := v6.SCTP(1, 2).Chunks(header.SCTPChunk{Type: header.SCTPChunkCookieEcho, Value: make([]byte, 7)}, header.SCTPChunk{Type: header.SCTPChunkAbort}).Bytes()
	var m packet.Meta
	if n := testing.AllocsPerRun(1000, func() { packet.Parse(f, &m) }); n != 0 {
		t.Errorf("allocations per run = %v, want 0", n)
	}
}
