// Package packet implements the fast path's frame parser: [Parse] reads an
// Ethernet frame (untagged, 802.1Q or 802.1ad with up to two tags) with an
// IPv4 or IPv6 packet and fills a [Meta] with the offsets, addresses,
// ports and flags the rest of the pipeline needs, or names the one
// [verdict.DropReason] the frame is dropped for.
//
// What is dropped, and why:
//   - Fragments (IPv4 MF or a non-zero offset, any IPv6 Fragment header):
//     only the first fragment carries ports, so a load balancer cannot
//     send the others to the same real server without reassembly, which
//     the fast path does not do. Katran drops them for the same reason;
//     TCP clients avoid fragmentation with path MTU discovery, so what is
//     lost is mostly fragmented UDP.
//   - IPv4 packets with options (IHL > 5), as Katran does. Options are
//     practically unused on the Internet (and often filtered on the way);
//     refusing them keeps the transport header at a fixed offset for
//     every rewrite and encapsulation, and options such as source routing
//     would be unsafe to forward blindly.
//   - IPv6 packets with more than [header.IPv6MaxExtHeaders] extension
//     headers, or malformed ones, and packets whose stated lengths
//     disagree with the frame.
//   - SCTP packets without a chunk, or whose first chunk's length is
//     below 4 or runs past the packet. For SCTP, Meta also carries the
//     first chunk's type and flags and whether an ABORT follows it: the
//     inputs of IPVS's SCTP state machine.
//
// Other IP protocols parse successfully with ports 0: the caller decides.
//
// Parse is pure: it allocates nothing, takes no locks and never panics,
// whatever the input (fuzzed). It is safe for concurrent use on distinct
// Meta values.
package packet
