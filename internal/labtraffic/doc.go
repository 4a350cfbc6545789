// Package labtraffic implements the test traffic of the xlvs lab and of the
// end-to-end tests: a named TCP/UDP server that counts what it receives and
// tells the client who it is, and a client that runs many checked
// round-trips against virtual (or real) addresses and tallies the answers
// per server.
//
// The wire protocol is deliberately trivial so that a failure points at the
// network, not at the traffic code:
//
//	TCP: server sends "<name>\n", then echoes every byte until the client
//	     half-closes, then closes. The client checks the echo byte for byte.
//	UDP: each datagram is answered with "<name>\n" followed by the datagram.
//
// Sockets are created inside network namespaces through internal/netlab.
// A UDP server binds each address explicitly (not the wildcard), so replies
// leave from the address the client sent to: with direct routing that is the
// VIP held on the real server's loopback, which is what the client's
// connected socket expects.
//
// Concurrency: a [Server] serves each connection on its own goroutine and
// its counters are atomic; [Server.Stats] may be called at any time. [Run]
// uses a bounded number of client goroutines and returns only when they are
// all done.
package labtraffic
