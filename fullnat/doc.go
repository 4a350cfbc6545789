// Package fullnat implements the parts of FULLNAT that are not the
// per-packet rewrite itself: the local address (LIP) port pools with
// per-worker port slices, and client address conservation — TOA (a TCP
// option carrying the client's address) and the PROXY protocol v2 header
// with the sequence and acknowledgement adjustment it needs — as pure
// functions on frames.
//
// # Ownership by port
//
// A FULLNAT connection CIP:cport → VIP:vport is forwarded as LIP:lport →
// RIP:rport; the reply comes back as RIP:rport → LIP:lport on whatever
// queue the NIC picks. Each worker allocates only local ports p with
// p mod N = its id ([Owner]), so any worker computes the owner of a reply
// from its destination port alone and hands it over if needed.
//
// # Pools
//
// A [Pool] belongs to one worker. It holds, for each local address slot
// and for TCP and UDP, the worker's slice of the local port range as a
// three-level bitmap (64 × 64 × 64 bits): allocation takes the first free
// port at or after a rotating cursor in at most six word operations, with
// no scan and no retry; release sets the bit back. Everything is sized by
// [NewPool] and pointer-free; nothing allocates afterwards.
//
// A (LIP, lport, protocol) triple is held by at most one live connection:
// a port belongs to one worker's slice, leaves the bitmap when a
// connection takes it and comes back only when that connection's entry is
// released (on expiry). So the reply tuple RIP:rport → LIP:lport names
// exactly one connection, whatever real server it comes from, and two
// live connections to the same RIP:rport can never share (LIP, lport).
// The price is that a LIP offers (MaxPort-MinPort+1) connections per
// protocol in total rather than per real server, as a kernel socket bound
// to a local address does; add local addresses to go beyond. The rotating
// cursor reuses a released port only after the cursor has passed every
// other free port of the slice, which keeps a real server's TIME_WAIT for
// the previous use of the same tuple out of the way.
//
// # Client address conservation
//
// [InsertTOA] adds TOA (kind 254; length 8 with an IPv4 client, 20 with
// an IPv6 one as DPVS does) to a client→server segment; [ClampMSS] lowers
// the MSS option of a SYN or SYN-ACK so that the bytes added later fit.
// [EncodeProxyV2] builds a PROXY protocol v2 header; [ProxyInbound] puts
// it in front of the first payload of a TCP connection and moves the
// sequence numbers of the client's later segments by its length, keeping
// an 8-byte [SeqState] per connection; [AdjustOutbound] moves the
// acknowledgements (and SACK blocks) of the server's segments back;
// [InsertProxyV2UDP] puts it in front of every datagram. All of them work
// in place on a frame parsed by package packet, keep every checksum right
// by RFC 1624 incremental updates (the payload moves by an even number of
// bytes, so only the new bytes and the lengths enter the sum), return a
// [Result] instead of an error and never allocate or panic, whatever the
// frame.
//
// # Concurrency
//
// A Pool is not safe for concurrent use: it is owned by one worker. The
// frame functions are pure and safe for concurrent use on distinct frames.
// Nothing here takes a lock.
package fullnat
