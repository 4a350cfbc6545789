package packet

import (
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// parseSCTP parses the SCTP packet seg (the rest of the IP packet) at
// offset l4: the common header and the first chunk's header, whose type
// drives IPVS's SCTP state machine and decides whether a packet may start
// a connection. A packet must carry at least one chunk (RFC 9260 §3):
// shorter is [verdict.Truncated]; a first chunk whose length is below a
// chunk header or runs past the packet is [verdict.BadLength]. The
// checksum is not verified here: like IPVS, the director leaves that to
// the receiver (NAT rewrites keep a bad checksum bad).
func parseSCTP(seg []byte, l4 int, m *Meta) verdict.DropReason {
	if len(seg) < header.SCTPMinimumSize+header.SCTPChunkHeaderSize {
		return verdict.Truncated
	}
	p := header.SCTP(seg)
	m.SrcPort, m.DstPort = p.SourcePort(), p.DestinationPort()
	n := int(p.ChunkLength())
	if n < header.SCTPChunkHeaderSize || n > len(seg)-header.SCTPMinimumSize {
		return verdict.BadLength
	}
	m.SCTPChunk, m.SCTPChunkFlags = p.ChunkType(), p.ChunkFlags()
	m.PayloadOff = uint16(l4 + header.SCTPMinimumSize)
	// The next chunk starts after the padding, as ip_vs_proto_sctp.c
	// looks for it (cofs + ALIGN(clen, 4)).
	if next := header.SCTPMinimumSize + (n+3)&^3; next < len(seg) {
		m.SCTPAbortNext = seg[next] == header.SCTPChunkAbort
	}
	return verdict.None
}
