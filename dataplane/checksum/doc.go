// Package checksum implements the Internet checksum (RFC 1071) and its
// incremental update (RFC 1624) for the IPv4 header and the TCP, UDP and
// ICMP checksums, and the CRC32c (Castagnoli) of SCTP packets
// ([CRC32c], [SCTP]).
//
// All functions work on the ones-complement sum, not on its complement:
// a header's checksum field holds ^sum, so callers complement on the way
// in and out (the header package's setters do this for them). Keeping the
// sum uncomplemented lets sums be combined, and lets the same helpers
// update a partial (offload) checksum field, which holds the
// uncomplemented pseudo-header sum.
//
// The package is a leaf: it imports only the standard library. Its
// functions are pure, allocate nothing and are safe for concurrent use.
package checksum
