package engine

import "github.com/xlvs/xlvs/dataplane/conntrack"

// One-packet scheduling (-o) of a FULLNAT UDP service.
//
// IPVS's -o schedules every datagram on its own: the connection made for
// it is never hashed and is freed as soon as the datagram has left,
// because no reply is expected (ip_vs_update_conntrack leaves the
// netfilter entry of such a connection alone). A FULLNAT real server,
// though, can only answer through the director (it sees LIP:lport, not
// the client), so a connection freed at once would turn every reply into
// a no-connection drop. Here a one-packet FULLNAT connection whose
// datagram left is detached from the connection index (conntrack's
// Detach) and flagged conntrack.FlagOnePacket: the next datagram of the
// same client flow does not find it and is scheduled again, with its own
// local port, while this one still owns its local port and reply key.
// It is released by the first reply (or ICMP error) that comes back
// through it, forwarded to the client, or after oneReplyWindow without
// one, whichever comes first. So a request/response protocol (DNS,
// RADIUS) gets its answer and each request is scheduled; a one-way one
// (syslog) holds a local port per datagram for the window, so a local
// address sustains about 64k/5 s ≈ 13k such datagrams per second per
// protocol (add local addresses for more).

// oneReplyWindow is how long a one-packet FULLNAT connection waits for its
// reply, in nanoseconds: 5 s, the default timeout of the glibc resolver,
// after which a client has given up on the answer.
const oneReplyWindow = 5 * 1e9

// awaitReply keeps one-packet FULLNAT connection idx for its reply once
// its datagram was sent, and reports whether it did. A connection whose
// datagram was dropped, which has no reply key, or which already waited
// (this is its reply) is left to be released.
func (w *Worker) awaitReply(idx int32, e *conntrack.Entry, now int64, sent bool) bool {
	if !sent || e.Flags&conntrack.FlagOnePacket != 0 || w.ct.ReplyOf(idx) == nil {
		return false
	}
	w.ct.Detach(idx)
	e.Flags |= conntrack.FlagOnePacket
	e.Expires = now + oneReplyWindow
	return true
}

// answered releases one-packet FULLNAT connection idx after the reply (or
// ICMP error) now being forwarded for it, as Worker.handle releases a new
// one-packet connection.
func (w *Worker) answered(idx int32, e *conntrack.Entry) {
	if e.Flags&conntrack.FlagOnePacket != 0 {
		w.ops = idx
	}
}
