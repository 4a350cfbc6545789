package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// SCTP, as IPVS's ip_vs_proto_sctp.c handles it:
//
//   - A packet without a connection starts one only when its first chunk is
//     an INIT (sctp_conn_schedule with sloppy_sctp=0); anything else is
//     dropped and counted as sctp-not-init, as tcp-not-syn for TCP. An ABORT
//     never schedules. (IPVS lets such a packet through to the director's
//     own stack; the fast path has nothing to give it to.)
//   - Every packet moves the connection through IPVS's SCTP state table by
//     its first chunk ([conntrack.SCTPEventOf]): NAT connections by the input
//     and output tables, DR and TUN ones by the input-only table, and the
//     timer is re-armed with the new state's timeout. ESTABLISHED counts as
//     an active connection, every other state as inactive.
//   - NAT rewrites the port and keeps the CRC32c right
//     ([header.SCTP.SetPortWithChecksumUpdate]); an address change alone
//     touches no SCTP byte (the checksum has no pseudo-header). DR leaves
//     the packet alone, TUN encapsulates it as it is.

// sctpStartsConn reports whether an SCTP packet without a connection may
// be scheduled: its first chunk is an INIT.
func sctpStartsConn(m *packet.Meta) bool { return m.SCTPChunk == header.SCTPChunkInit }

// sctpNext is the state an SCTP connection in state s moves to with the
// packet m travelling in direction dir.
func sctpNext(s conntrack.State, dir conntrack.Dir, m *packet.Meta) conntrack.State {
	return conntrack.SCTPNext(s, dir, conntrack.SCTPEventOf(m.SCTPChunk, m.SCTPAbortNext))
}

// rewriteSCTPPort sets the source (src) or destination port of the SCTP
// packet seg and updates its checksum.
func rewriteSCTPPort(seg []byte, src bool, port uint16) {
	header.SCTP(seg).SetPortWithChecksumUpdate(src, port)
}
