package testpkt

import (
	"net"
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/header"
)

// Builder describes a frame to build. The zero value is not useful:
// start with [Eth]. Every method returns a modified copy.
type Builder struct {
	srcMAC, dstMAC header.MAC
	vlans          []uint16
	etherType      int // -1: derived from the IP version

	family        int // 0 (no IP), 4 or 6
	srcIP, dstIP  netip.Addr
	ttl, tos      uint8
	id            uint16
	version       int // -1: from family
	ihl           int // -1: from options
	totalLen      int // -1: computed
	fragOff       uint16
	mf, frag      bool
	ipOpts        []byte
	exts          []extHeader
	proto         uint8
	hasL4         bool
	raw           bool // transport bytes given by Transport
	sport, dport  uint16
	tcpFlags      uint8
	seq, ack      uint32
	window        uint16
	tcpOpts       []byte
	dataOffset    int // -1: computed
	udpLen        int // -1: computed
	icmpType      uint8
	icmpCode      uint8
	body          []byte // ICMP body after type/code/checksum, or raw L4 bytes
	payload       []byte
	l4Checksum    int // -1: computed
	partialCsum   bool
	pad, truncate int // truncate -1: none
}

type extHeader struct {
	typ  uint8
	size int
}

// Eth starts a frame from src to dst with defaults: no VLAN tag, TTL 64.
func Eth(src, dst header.MAC) Builder {
	return Builder{
		srcMAC: src, dstMAC: dst, etherType: -1, ttl: 64, version: -1, ihl: -1, totalLen: -1,
		dataOffset: -1, udpLen: -1, l4Checksum: -1, truncate: -1, window: 65535,
	}
}

// MAC parses a MAC address such as "02:00:00:00:00:01" and panics on a
// malformed one.
func MAC(s string) header.MAC {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != header.EthernetAddressSize {
		panic("testpkt: bad MAC address " + s)
	}
	return header.MAC(hw)
}

// appendCopy appends to a copy of s, so that Builder values never share
// backing arrays.
func appendCopy[T any](s []T, v ...T) []T { return append(s[:len(s):len(s)], v...) }

// VLAN adds a VLAN tag after the ones added before (the first call adds
// the outermost). One tag uses TPID 0x8100; with two, the outer uses
// 0x88a8 (802.1ad).
func (b Builder) VLAN(id uint16) Builder { b.vlans = appendCopy(b.vlans, id); return b }

// EtherType overrides the EtherType of the frame (after any VLAN tags).
func (b Builder) EtherType(t uint16) Builder { b.etherType = int(t); return b }

// IPv4 adds an IPv4 header from src to dst (IPv4 or IPv4-mapped).
func (b Builder) IPv4(src, dst netip.Addr) Builder {
	b.family, b.srcIP, b.dstIP = 4, src.Unmap(), dst.Unmap()
	return b
}

// IPv6 adds an IPv6 header from src to dst.
func (b Builder) IPv6(src, dst netip.Addr) Builder {
	b.family, b.srcIP, b.dstIP = 6, src, dst
	return b
}

// TTL sets the IPv4 TTL or the IPv6 hop limit.
func (b Builder) TTL(n uint8) Builder { b.ttl = n; return b }

// TOS sets the IPv4 TOS or the IPv6 traffic class.
func (b Builder) TOS(n uint8) Builder { b.tos = n; return b }

// ID sets the IPv4 identification (and the IPv6 fragment ID).
func (b Builder) ID(n uint16) Builder { b.id = n; return b }

// IPVersion overrides the version nibble.
func (b Builder) IPVersion(v uint8) Builder { b.version = int(v); return b }

// IHL overrides the IPv4 header length field (in 4-byte words); the
// header written stays 20 bytes plus options.
func (b Builder) IHL(n uint8) Builder { b.ihl = int(n); return b }

// TotalLength overrides the stated IP length: the IPv4 total length, or
// for IPv6 a payload length of n-40.
func (b Builder) TotalLength(n uint16) Builder { b.totalLen = int(n); return b }

// Fragment makes the packet a fragment at offset (bytes, a multiple of
// 8) with the More Fragments flag mf: IPv4 flags, or an IPv6 Fragment
// header after the other extension headers.
func (b Builder) Fragment(offset uint16, mf bool) Builder {
	b.frag, b.fragOff, b.mf = true, offset, mf
	return b
}

// IPv4Options adds IPv4 options (padded to 4 bytes; IHL follows).
func (b Builder) IPv4Options(opts []byte) Builder { b.ipOpts = appendCopy(opts); return b }

// IPv6Ext adds an IPv6 extension header of type typ (header.IPProto...)
// and total size bytes (a multiple of 8, or of 4 for AH), filled with
// zeros (Pad1 options for Hop-by-Hop and Destination Options).
func (b Builder) IPv6Ext(typ uint8, size int) Builder {
	b.exts = appendCopy(b.exts, extHeader{typ, size})
	return b
}

// TCP adds a TCP header with the given ports and flags (packet.TCPSyn
// ...), sequence 1, no acknowledgment, window 65535.
func (b Builder) TCP(sport, dport uint16, flags uint8) Builder {
	b.proto, b.hasL4, b.raw, b.sport, b.dport, b.tcpFlags = header.IPProtoTCP, true, false, sport, dport, flags
	if b.seq == 0 {
		b.seq = 1
	}
	return b
}

// Seq sets the TCP sequence number.
func (b Builder) Seq(n uint32) Builder { b.seq = n; return b }

// Ack sets the TCP acknowledgment number.
func (b Builder) Ack(n uint32) Builder { b.ack = n; return b }

// Window sets the TCP window.
func (b Builder) Window(n uint16) Builder { b.window = n; return b }

// TCPOptions adds TCP options (padded to 4 bytes; the data offset
// follows).
func (b Builder) TCPOptions(opts []byte) Builder { b.tcpOpts = appendCopy(opts); return b }

// DataOffset overrides the TCP data offset field (in 4-byte words).
func (b Builder) DataOffset(n uint8) Builder { b.dataOffset = int(n); return b }

// UDP adds a UDP header with the given ports.
func (b Builder) UDP(sport, dport uint16) Builder {
	b.proto, b.hasL4, b.raw, b.sport, b.dport = header.IPProtoUDP, true, false, sport, dport
	return b
}

// UDPLength overrides the UDP length field.
func (b Builder) UDPLength(n uint16) Builder { b.udpLen = int(n); return b }

// SCTP adds an SCTP common header with the given ports, verification tag
// 1 and a CRC32c checksum (RFC 9260 appendix A).
func (b Builder) SCTP(sport, dport uint16) Builder {
	b.proto, b.hasL4, b.raw, b.sport, b.dport = header.IPProtoSCTP, true, false, sport, dport
	return b
}

// Chunks sets the SCTP packet's chunks (each padded to 4 bytes) as its
// payload: SCTP(1, 2).Chunks(header.SCTPChunk{Type: header.SCTPChunkInit, Value: v}).
func (b Builder) Chunks(chunks ...header.SCTPChunk) Builder {
	var p []byte
	for _, c := range chunks {
		p = header.AppendSCTPChunk(p, c)
	}
	b.payload = p
	return b
}

// ICMPv4 adds an ICMPv4 message; body is what follows type, code and
// checksum (the 4-byte rest of header, then data).
func (b Builder) ICMPv4(typ, code uint8, body []byte) Builder {
	b.proto, b.hasL4, b.raw, b.icmpType, b.icmpCode, b.body = header.IPProtoICMPv4, true, false, typ, code, appendCopy(body)
	return b
}

// ICMPv6 adds an ICMPv6 message like [Builder.ICMPv4].
func (b Builder) ICMPv6(typ, code uint8, body []byte) Builder {
	b.proto, b.hasL4, b.raw, b.icmpType, b.icmpCode, b.body = header.IPProtoICMPv6, true, false, typ, code, appendCopy(body)
	return b
}

// Transport adds raw transport bytes of protocol proto (GRE, IPIP, ...).
func (b Builder) Transport(proto uint8, body []byte) Builder {
	b.proto, b.hasL4, b.raw, b.body = proto, true, true, appendCopy(body)
	return b
}

// Payload sets the bytes after the TCP/UDP/SCTP header (or the ICMP body).
func (b Builder) Payload(p []byte) Builder { b.payload = appendCopy(p); return b }

// L4Checksum forces the TCP/UDP/ICMP/SCTP checksum field to v (0 for a
// UDP datagram without checksum).
func (b Builder) L4Checksum(v uint16) Builder { b.l4Checksum = int(v); return b }

// PartialChecksum leaves in the TCP/UDP checksum field what a sender with
// checksum offload leaves: the uncomplemented pseudo-header sum.
func (b Builder) PartialChecksum() Builder { b.partialCsum = true; return b }

// Pad appends n zero bytes after the IP packet (Ethernet padding).
func (b Builder) Pad(n int) Builder { b.pad = n; return b }

// Truncate cuts the built frame to its first n bytes.
func (b Builder) Truncate(n int) Builder { b.truncate = n; return b }
