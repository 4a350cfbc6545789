package fullnat

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// PROXY protocol version 2 (haproxy's proxy-protocol.txt, §2.2): a 16-byte
// header, then the addresses.
//
//	+--------------------------------------+-------+-------+-----------+
//	| signature (12 bytes)                 | ver/  | fam/  | length    |
//	| 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A  | cmd   | proto | (BE, 16b) |
//	+--------------------------------------+-------+-------+-----------+
//	| IPv4: src addr 4, dst addr 4, src port 2, dst port 2 (12 bytes)  |
//	| IPv6: src addr 16, dst addr 16, src port 2, dst port 2 (36)      |
//	+------------------------------------------------------------------+
//
// ver/cmd is 0x21 (version 2, PROXY); fam/proto is 0x11 TCP over IPv4,
// 0x12 UDP over IPv4, 0x21 TCP over IPv6, 0x22 UDP over IPv6.
const (
	// ProxyV2SizeIPv4 is the size of a header with IPv4 addresses.
	ProxyV2SizeIPv4 = 16 + 12
	// ProxyV2SizeIPv6 is the size of a header with IPv6 addresses.
	ProxyV2SizeIPv6 = 16 + 36
	// ProxyV2MaxSize is the largest header EncodeProxyV2 writes.
	ProxyV2MaxSize = ProxyV2SizeIPv6
)

// proxyV2Sig is the signature that starts every version 2 header.
var proxyV2Sig = [12]byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a}

// ProxyV2 describes a PROXY protocol v2 header: the client's connection
// as it reached the director. Addresses of family 4 are IPv4-mapped, as in
// conntrack keys; ports are in host order.
type ProxyV2 struct {
	Proto   uint8 // header.IPProtoTCP or header.IPProtoUDP
	Family  uint8 // 4 or 6, for both addresses
	Src     [16]byte
	Dst     [16]byte
	SrcPort uint16
	DstPort uint16
}

// ProxyV2Size returns the size of the header for a connection of family 4
// or 6, 0 for another family.
func ProxyV2Size(family uint8) int {
	switch family {
	case 4:
		return ProxyV2SizeIPv4
	case 6:
		return ProxyV2SizeIPv6
	}
	return 0
}

// EncodeProxyV2 writes the header h describes at the start of dst and
// returns its size, or 0 (writing nothing) when dst is too small or h has
// an unknown family or protocol. It does not allocate.
func EncodeProxyV2(dst []byte, h *ProxyV2) int {
	size := ProxyV2Size(h.Family)
	var fam byte
	switch {
	case h.Proto == header.IPProtoTCP:
		fam = 0x01
	case h.Proto == header.IPProtoUDP:
		fam = 0x02
	default:
		return 0
	}
	if size == 0 || len(dst) < size {
		return 0
	}
	copy(dst, proxyV2Sig[:])
	dst[12] = 0x21
	binary.BigEndian.PutUint16(dst[14:], uint16(size-16))
	if h.Family == 4 {
		dst[13] = 0x10 | fam
		copy(dst[16:20], h.Src[12:16])
		copy(dst[20:24], h.Dst[12:16])
		binary.BigEndian.PutUint16(dst[24:], h.SrcPort)
		binary.BigEndian.PutUint16(dst[26:], h.DstPort)
		return size
	}
	dst[13] = 0x20 | fam
	copy(dst[16:32], h.Src[:])
	copy(dst[32:48], h.Dst[:])
	binary.BigEndian.PutUint16(dst[48:], h.SrcPort)
	binary.BigEndian.PutUint16(dst[50:], h.DstPort)
	return size
}

// ProxyInbound handles one client→server segment of a TCP connection of a
// PROXY protocol v2 service; st is the connection's state and hdr its
// header (EncodeProxyV2), the same bytes for the whole connection. It
// returns the new frame length and Done when the segment may go on:
//
//   - a SYN records where the stream starts (its sequence number + 1);
//   - the segment carrying the first byte of the stream gets hdr in
//     front of its payload (again if the client retransmits it: the
//     server sees the same bytes twice and keeps one copy);
//   - every later segment's sequence number moves up by len(hdr), so the
//     server sees one stream: the header, then the client's bytes.
//
// Otherwise it returns n and a reason, and the caller drops the segment:
// OutOfOrder for a segment beyond the first byte before the header went
// in (the first payload is missing: the client retransmits it, and the
// connection goes on from there; a stream is never corrupted), SynData
// for a SYN carrying data (TCP Fast Open, which would put data before the
// header), NotApplicable for a segment before the SYN was seen, TooBig /
// NoRoom when the header does not fit under mtu or in frame (the MSS
// clamp on the handshake, ClampMSS with len(hdr), prevents it), Malformed
// for a frame that does not match m. Checksums are updated incrementally
// and m follows the frame.
func ProxyInbound(frame []byte, n int, m *packet.Meta, st *SeqState, hdr []byte, mtu int) (int, Result) {
	l4, end, ok := tcpAt(frame, n, m)
	if !ok || len(hdr) == 0 || len(hdr)&1 != 0 || len(hdr) > 0xff00 {
		return n, Malformed
	}
	seg := header.TCP(frame[l4:end])
	seq := seg.SequenceNumber()
	plen := end - l4 - int(seg.DataOffset())
	if seg.Flags()&header.TCPFlagSyn != 0 {
		if plen > 0 {
			return n, SynData
		}
		st.start(seq + 1)
		return n, Done
	}
	if st.Flags&seqStarted == 0 {
		return n, NotApplicable
	}
	d := int32(seq - st.First)
	switch {
	case d == 0 && plen > 0:
		return insertProxy(frame, m, l4, end, st, hdr, mtu)
	case d < 0:
		if int(-d) < plen {
			return n, OutOfOrder // spans the start of the stream
		}
		return n, Done // before the stream: keepalives
	case st.Flags&seqInserted == 0:
		if d == 0 {
			return n, Done // an ACK at the start: nothing sent yet
		}
		return n, OutOfOrder
	}
	tcpUpdate32(seg, 4, seq+uint32(st.Delta))
	return n, Done
}

// insertProxy puts hdr in front of the payload of the segment at l4.
func insertProxy(frame []byte, m *packet.Meta, l4, end int, st *SeqState, hdr []byte, mtu int) (int, Result) {
	k := len(hdr)
	if st.Flags&seqInserted != 0 && int(st.Delta) != k {
		return end, Malformed // another header than the one inserted
	}
	if r := fits(frame, m, end, k, mtu); r != Done {
		return end, r
	}
	seg := header.TCP(frame[l4:end])
	at := l4 + int(seg.DataOffset())
	oldLen := uint16(end - l4)
	newEnd := grow(frame, m, at, end, k)
	copy(frame[at:at+k], hdr)
	seg = header.TCP(frame[l4:newEnd])
	// The payload moved by an even number of bytes (k is even): only the
	// header bytes and the pseudo-header length are new.
	x := ^seg.Checksum()
	x = checksum.Update(x, oldLen, oldLen+uint16(k))
	x = checksum.Combine(x, fieldSum(hdr, at-l4))
	seg.SetChecksum(^x)
	st.Delta = uint16(k)
	st.Flags |= seqInserted
	return newEnd, Done
}

// InsertProxyV2UDP puts hdr (EncodeProxyV2 with Proto UDP) in front of the
// payload of the UDP datagram in frame[:n], as the PROXY protocol does
// for datagrams: every datagram carries its own header. It returns the
// new frame length and Done, or n and TooBig, NoRoom or Malformed (hdr of
// odd length included). A zero UDP checksum (IPv4: none) stays zero;
// others are updated incrementally.
func InsertProxyV2UDP(frame []byte, n int, m *packet.Meta, hdr []byte, mtu int) (int, Result) {
	l4, end, ok := udpAt(frame, n, m)
	if !ok || len(hdr) == 0 || len(hdr)&1 != 0 {
		return n, Malformed
	}
	k := len(hdr)
	if r := fits(frame, m, end, k, mtu); r != Done {
		return n, r
	}
	at := l4 + header.UDPMinimumSize
	oldLen := uint16(end - l4)
	newEnd := grow(frame, m, at, end, k)
	copy(frame[at:at+k], hdr)
	u := header.UDP(frame[l4:newEnd])
	u.SetLength(oldLen + uint16(k))
	if c := u.Checksum(); c != 0 {
		// The length is both in the header and in the pseudo-header.
		x := checksum.Update(^c, oldLen, oldLen+uint16(k))
		x = checksum.Update(x, oldLen, oldLen+uint16(k))
		x = checksum.Combine(x, checksum.Checksum(hdr, 0))
		if x = ^x; x == 0 {
			x = 0xffff
		}
		u.SetChecksum(x)
	}
	return newEnd, Done
}
