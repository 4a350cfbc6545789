// Package header implements views of the wire headers the fast path reads
// and rewrites: [Ethernet] with 802.1Q/802.1ad [VLAN] tags, [IPv4],
// [IPv6] and its extension headers, [TCP], [UDP], [SCTP], [ICMPv4] and
// [ICMPv6].
//
// A view is a byte slice that starts at its header, in the style of
// gVisor's netstack: accessors and setters read and write the wire format
// in place with encoding/binary big-endian loads and stores. Validate a
// view once (its IsValid method, or the length checks of package packet)
// and the other accessors then run unchecked: on a slice shorter than the
// header they panic. Setters named ...WithChecksumUpdate keep the
// header's checksum right by RFC 1624 incremental update instead of a
// recomputation, which is what a NAT rewrite wants. The XxxFields structs
// with an Encode method build headers for tests, ICMP errors and
// encapsulation.
//
// Views are plain slices: nothing here allocates except String methods
// and the helpers that say so, and a view is as safe for concurrent use
// as the bytes it points to (owned by one worker on the fast path).
package header
