package header

import "github.com/xlvs/xlvs/dataplane/checksum"

// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), which
// are also the IPv6 Next Header values.
const (
	IPProtoHopByHop = 0   // IPv6 Hop-by-Hop Options
	IPProtoICMPv4   = 1   // ICMP
	IPProtoIPIP     = 4   // IPv4 encapsulation (IP-in-IP)
	IPProtoTCP      = 6   // TCP
	IPProtoUDP      = 17  // UDP
	IPProtoIPv6     = 41  // IPv6 encapsulation
	IPProtoRouting  = 43  // IPv6 Routing header
	IPProtoFragment = 44  // IPv6 Fragment header
	IPProtoGRE      = 47  // GRE
	IPProtoESP      = 50  // Encapsulating Security Payload
	IPProtoAH       = 51  // Authentication Header
	IPProtoICMPv6   = 58  // ICMPv6
	IPProtoNoNext   = 59  // IPv6 No Next Header
	IPProtoDstOpts  = 60  // IPv6 Destination Options
	IPProtoSCTP     = 132 // SCTP
)

// PseudoHeaderChecksum returns the uncomplemented sum of the pseudo-header
// that the TCP, UDP and ICMPv6 checksums cover: source and destination
// address (both 4 or both 16 bytes), protocol and upper-layer length
// (RFC 793 §3.1 and RFC 768 for IPv4, RFC 8200 §8.1 for IPv6; the sum is
// the same for both layouts). It is also what a partial (offloaded)
// checksum field holds.
func PseudoHeaderChecksum(proto uint8, src, dst []byte, length uint16) uint16 {
	s := checksum.Checksum(src, 0)
	s = checksum.Checksum(dst, s)
	s = checksum.Combine(s, uint16(proto))
	return checksum.Combine(s, length)
}
