package fullnat

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// SeqState is the per-connection state of a PROXY protocol v2 TCP
// connection: where the client's stream starts and how many bytes the
// director put in front of it. It is 8 bytes and pointer-free, for a
// side table indexed like the connection table (the 64-byte conntrack
// entry has no room left for it). The zero value is a connection whose
// SYN was not seen yet.
type SeqState struct {
	// First is the sequence number of the client's first byte (its
	// ISN + 1).
	First uint32
	// Delta is the number of bytes inserted at First (the header's size),
	// valid once Flags has seqInserted.
	Delta uint16
	// Flags says what happened so far.
	Flags uint8
	_     uint8
}

// SeqState flags.
const (
	seqStarted  uint8 = 1 << 0 // SYN seen: First is valid
	seqInserted uint8 = 1 << 1 // header inserted at First
)

func (s *SeqState) start(first uint32) {
	*s = SeqState{First: first, Flags: seqStarted}
}

// Inserted reports whether the header went in, so that the sequence
// numbers of the connection are shifted from now on.
func (s *SeqState) Inserted() bool { return s.Flags&seqInserted != 0 }

// toClient maps a sequence number of the server's view of the client's
// stream (as the server acknowledges it) back to the client's: bytes after
// the header move down by Delta; a position inside the header becomes the
// start of the stream (the client has sent nothing the server has not
// acknowledged there).
func (s *SeqState) toClient(v uint32) uint32 {
	d := int32(v - s.First)
	switch {
	case d <= 0:
		return v
	case d < int32(s.Delta):
		return s.First
	}
	return v - uint32(s.Delta)
}

// AdjustOutbound fixes a server→client segment of a connection whose
// header went in: its acknowledgement number and the edges of its SACK
// blocks (which acknowledge the client's bytes in the server's view) move
// back by the header's size. The window needs no change: it counts from
// the acknowledgement number, so the right edge it gives the client is
// the server's, shifted the same way. Before the header went in, or on a
// segment without ACK, nothing changes (Done). Malformed for a frame that
// does not match m; a malformed option list stops the SACK walk and
// leaves later options as they are. Checksums are updated incrementally.
func AdjustOutbound(frame []byte, n int, m *packet.Meta, st *SeqState) Result {
	l4, end, ok := tcpAt(frame, n, m)
	if !ok {
		return Malformed
	}
	if st.Flags&seqInserted == 0 {
		return Done
	}
	seg := header.TCP(frame[l4:end])
	if seg.Flags()&header.TCPFlagAck == 0 {
		return Done
	}
	if ack := seg.AckNumber(); st.toClient(ack) != ack {
		tcpUpdate32(seg, 8, st.toClient(ack))
	}
	opts := seg.Options()
	for i := 0; ; {
		kind, at, size, ok := nextOption(opts, i)
		if !ok {
			return Done
		}
		if kind == optSACK {
			for b := at + 2; b+4 <= at+size; b += 4 {
				v := binary.BigEndian.Uint32(opts[b:])
				if w := st.toClient(v); w != v {
					tcpUpdate32(seg, header.TCPMinimumSize+b, w)
				}
			}
		}
		i = at + size
	}
}
