package fullnat

import (
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// TOAInbound handles one client→server segment of a TCP connection of a
// TOA service, with st the connection's [SeqState] (zero for a new
// connection). It decides where the TOA goes so that it reaches the real
// server in the segment that completes the handshake, whatever is lost on
// the way:
//
//   - a SYN records where the client's stream starts (its sequence
//     number + 1) and gets no TOA (NotApplicable);
//   - every segment at the start of the stream — the handshake's ACK, the
//     first data segment, and retransmissions of either — gets the TOA
//     ([InsertTOA]): whichever of them completes the handshake at the
//     real server carries it, which is where a TOA module reads it;
//   - later segments, and segments of a connection whose SYN was not
//     seen, are left alone (NotApplicable).
//
// It returns the new frame length and Done when the TOA went in, or n and
// the reason it did not (InsertTOA's: NoOptionSpace, TooBig, NoRoom,
// Malformed): the segment is still forwarded as it is, without the TOA —
// TOA is advisory, a segment is never dropped for it. A pure ACK sent at
// the start of the stream while the client has sent no data yet (a
// protocol where the server speaks first) carries the TOA too; TCP stacks
// ignore an option they do not know.
func TOAInbound(frame []byte, n int, m *packet.Meta, st *SeqState, family uint8, addr *[16]byte, port uint16, mtu int) (int, Result) {
	l4, end, ok := tcpAt(frame, n, m)
	if !ok {
		return n, Malformed
	}
	seg := header.TCP(frame[l4:end])
	if seg.Flags()&header.TCPFlagSyn != 0 {
		if seg.Flags()&header.TCPFlagRst == 0 {
			st.start(seg.SequenceNumber() + 1)
		}
		return n, NotApplicable
	}
	if st.Flags&seqStarted == 0 || seg.SequenceNumber() != st.First {
		return n, NotApplicable
	}
	return InsertTOA(frame, n, m, family, addr, port, mtu)
}
