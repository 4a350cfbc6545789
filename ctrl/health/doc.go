// Package health implements keepalived's real-server health checking for
// xlvsd: TCP_CHECK, HTTP_GET (and SSL_GET), MISC_CHECK and PING_CHECK with
// keepalived's timers (delay_loop, retry, delay_before_retry, warmup,
// alpha), inhibit_on_failure, quorum and hysteresis, and sorry_server.
//
// A [Checker] is given the virtual services it is responsible for
// ([Checker.Update]) and keeps the director's configuration in line with
// the health of their real servers: it computes what IPVS should contain
// (the healthy real servers, inhibited ones at weight 0, the sorry server
// when quorum is lost), compares that with what it applied before ([Diff])
// and sends only the difference as ordinary control requests through an
// [Applier] (*model.Model), exactly as xlvsadm would. A later Update (a
// configuration reload) keeps the health state of every real server that
// is still configured, so a reload neither resets a failing server to
// "up" nor touches services that did not change.
//
// Checks run from the director's kernel stack with plain sockets and
// processes. The XDP program only steers traffic addressed to a virtual
// service (and NAT/FULLNAT replies), so a check's packets to a real
// server's own address, and the replies, never enter the fast path. Every
// check runs in its own goroutine, bounded by its timeout (connect_timeout,
// or misc_timeout for scripts, which are killed with their process group),
// so a hung check delays nothing else.
//
// Concurrency: a Checker is safe for concurrent use. State changes and the
// requests they cause are serialised by one mutex; probes run without it.
package health
