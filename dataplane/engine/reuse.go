package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Connection reuse and connections of unavailable real servers, as
// ip_vs_in (ip_vs_core.c) decides them for a packet that finds an existing
// connection, before it forwards it:
//
//  1. With conn_reuse_mode non-zero and a packet that starts a connection
//     (is_new_conn: a TCP segment with SYN, an SCTP packet whose first
//     chunk is INIT), the connection is expired at once and the packet
//     scheduled anew when
//     - expire_nodest_conn is on and the connection's real server has
//     weight 0, or
//     - the connection is expected to be reused (is_new_conn_expected):
//     it is not controlled by a persistence template, and it is a TCP
//     connection in TIME_WAIT or CLOSE — with bit 2 of the mode also in
//     FIN_WAIT when it is input-only (DR, TUN, local: IPVS's
//     IP_VS_CONN_F_NOOUTPUT) — or an SCTP connection in CLOSED.
//  2. A connection whose real server is not available (deleted: xlvs
//     keeps it in the snapshot marked unavailable, as IPVS keeps it in its
//     trash) is expired at once with expire_nodest_conn, and the packet
//     scheduled anew; without it the packet is dropped and the timer left
//     running (dest-unavailable).
//
// A packet scheduled anew is a new connection in every respect: TCP needs
// a SYN without RST (tcp-not-syn otherwise; IPVS would pass it to the
// director's own stack), and the counts move from the old real server to
// the new one. The kernel keeps a rescheduled connection only while it
// still uses an old netfilter conntrack entry (ip_vs_conn_uses_old_conntrack);
// AF_XDP has no netfilter conntrack, so that case never arises here.
// Persistence templates never reach this (a client port 0 to a persistent
// service is dropped before): they control connections and are never
// reused, as in IPVS.
//
// The sysctls are one atomic word of the engine, read once per packet that
// reaches an existing connection with a SYN/INIT or an unavailable real
// server; both can be changed while the workers run, as sysctls can.

// ConnReuse holds the two IPVS sysctls that decide what a packet finding an
// existing connection does to it.
type ConnReuse struct {
	// Mode is conn_reuse_mode: 0 never reuses a connection; non-zero (the
	// kernel's default is 1) expires a TCP connection in TIME_WAIT or
	// CLOSE, or an SCTP one in CLOSED, that a SYN (INIT) reaches and
	// schedules the SYN anew; with bit 2 (2 or 3) also an input-only TCP
	// connection (DR, TUN, local) in FIN_WAIT.
	Mode int
	// ExpireNodestConn is expire_nodest_conn (default off): a packet of a
	// connection whose real server was deleted expires it and is scheduled
	// anew instead of being dropped, and with a non-zero Mode a SYN (INIT)
	// of a connection whose real server has weight 0 does the same.
	ExpireNodestConn bool
}

// keepConn applies the rules above to packet m reaching connection idx. It
// returns false when it has expired the connection and the packet must be
// scheduled as a new one.
func (w *Worker) keepConn(idx int32, m *packet.Meta, now int64) bool {
	e := w.ct.At(idx)
	dest := &w.snap.Dests[e.Dest]
	if dest.Available && !isNewConn(m) {
		return true // the common case: no atomic load
	}
	v := w.reuse.Load()
	mode, nodest := v&0xff, v&reuseNodest != 0
	resched := mode != 0 && isNewConn(m) &&
		((nodest && dest.Weight == 0) || w.newConnExpected(idx, e, dest, mode))
	if !resched && !(nodest && !dest.Available) {
		return true
	}
	w.releaseLive(idx, now)
	w.ct.Delete(idx)
	w.c.connsExpired.inc()
	return false
}

// isNewConn is the kernel's is_new_conn: a TCP segment with SYN (whatever
// else it has), an SCTP packet whose first chunk is INIT.
func isNewConn(m *packet.Meta) bool {
	switch m.Proto {
	case protoTCP:
		return m.TCPFlags&packet.TCPSyn != 0
	case protoSCTP:
		return sctpStartsConn(m)
	}
	return false
}

// newConnExpected is the kernel's is_new_conn_expected: a connection not
// controlled by a template, TCP in TIME_WAIT or CLOSE (with mode bit 2
// also FIN_WAIT of an input-only connection), SCTP in CLOSED.
func (w *Worker) newConnExpected(idx int32, e *conntrack.Entry, dest *snapshot.Dest, mode uint32) bool {
	if e.Flags&conntrack.FlagLinked != 0 {
		return false // controlled by a persistence template (persist.go)
	}
	switch e.Proto() {
	case protoTCP:
		inputOnly := dest.Method != snapshot.MethodMasq && e.LPort == 0 // as track decides
		return e.State == conntrack.StateTimeWait || e.State == conntrack.StateClose ||
			(mode&2 != 0 && e.State == conntrack.StateFinWait && inputOnly)
	case protoSCTP:
		return e.State == conntrack.StateSCTPClosed
	}
	return false
}
