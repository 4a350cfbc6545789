package fullnat

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// TOA option sizes: kind 254, length 8 (kind, length, client port, IPv4
// address) as the Linux TOA module reads it, and DPVS's IPv6 variant,
// length 20 (kind, length, port, IPv6 address). Both are multiples of 4,
// so the TCP data offset stays aligned without padding.
//
//	+--------+--------+-----------------+-----------------------------+
//	|  254   | 8 / 20 |  client port    |  client IPv4 / IPv6 address |
//	+--------+--------+-----------------+-----------------------------+
const (
	TOASizeIPv4 = 8
	TOASizeIPv6 = 20
)

// TOASize returns the size of the TOA option for a client of family 4
// or 6, 0 for another family.
func TOASize(family uint8) int {
	switch family {
	case 4:
		return TOASizeIPv4
	case 6:
		return TOASizeIPv6
	}
	return 0
}

// InsertTOA inserts a TOA option carrying the client's address (family 4
// or 6; addr holds an IPv4 address IPv4-mapped, as conntrack keys do) and
// port as the first option of the TCP segment in frame[:n], which m
// describes (packet.Parse). frame may extend beyond n: it is the room the
// segment can grow into. It returns the new frame length and Done, or n
// and the reason the segment is left as it was:
//
//   - NotApplicable for a SYN or RST (TOA goes into the handshake's ACK
//     or the first data segments) or an unknown family;
//   - NoOptionSpace when the options already take more than 40 bytes
//     minus the TOA;
//   - TooBig when the IP packet would exceed mtu (mtu ≤ 0: no limit) —
//     never fragment, never exceed the path;
//   - NoRoom when frame has no room for it;
//   - Malformed when the frame does not match m.
//
// The options and payload move up; the data offset, the IP length and
// every checksum are updated incrementally (the TCP checksum is assumed
// full, as on frames received from a wire), and m follows (IPLen,
// PayloadOff), so that further functions can run on the frame.
//
// Because the TOA comes first, a real server's TOA module, which takes
// the first option of kind 254, sees ours even if the client put one of
// its own in the segment.
func InsertTOA(frame []byte, n int, m *packet.Meta, family uint8, addr *[16]byte, port uint16, mtu int) (int, Result) {
	l4, end, ok := tcpAt(frame, n, m)
	if !ok {
		return n, Malformed
	}
	size := TOASize(family)
	seg := header.TCP(frame[l4:end])
	if size == 0 || seg.Flags()&(header.TCPFlagSyn|header.TCPFlagRst) != 0 {
		return n, NotApplicable
	}
	off := int(seg.DataOffset())
	if off+size > header.TCPMaximumHeaderSize {
		return n, NoOptionSpace
	}
	if r := fits(frame, m, end, size, mtu); r != Done {
		return n, r
	}
	oldLen := uint16(end - l4)
	oldWord := binary.BigEndian.Uint16(frame[l4+12:])
	newEnd := grow(frame, m, l4+header.TCPMinimumSize, end, size)
	seg = header.TCP(frame[l4:newEnd])
	opt := frame[l4+header.TCPMinimumSize : l4+header.TCPMinimumSize+size]
	opt[0], opt[1] = optTOA, byte(size)
	binary.BigEndian.PutUint16(opt[2:], port)
	if family == 4 {
		copy(opt[4:], addr[12:16])
	} else {
		copy(opt[4:], addr[:])
	}
	seg.SetDataOffset(uint8(off + size))
	newWord := binary.BigEndian.Uint16(frame[l4+12:])
	// The option words are new, the data offset word and the
	// pseudo-header's length changed; the payload moved by an even
	// number of bytes, so its sum is unchanged.
	x := ^seg.Checksum()
	x = checksum.Update(x, oldWord, newWord)
	x = checksum.Update(x, oldLen, oldLen+uint16(size))
	x = checksum.Combine(x, checksum.Checksum(opt, 0))
	seg.SetChecksum(^x)
	m.PayloadOff += uint16(size)
	return newEnd, Done
}

// ClampMSS lowers the MSS option of the SYN (or SYN-ACK) in frame by
// reduce bytes, not below 88 (Linux's TCP_MIN_MSS), so that segments sent
// in answer leave room for what the director adds to them later (the TOA
// option, a PROXY protocol header). DPVS lowers the MSS of the client's
// SYN towards the real server by the TOA size; the bytes are added to the
// client's segments, whose size the real server's SYN-ACK sets, so the
// engine clamps the SYN-ACK towards the client too. A SYN without an MSS
// option is left alone (NotApplicable), as DPVS does: its peer assumes
// 536 (IPv4) or 1220 (IPv6), which leaves room for both. The checksum is
// updated incrementally.
func ClampMSS(frame []byte, n int, m *packet.Meta, reduce uint16) Result {
	l4, end, ok := tcpAt(frame, n, m)
	if !ok {
		return Malformed
	}
	seg := header.TCP(frame[l4:end])
	if seg.Flags()&header.TCPFlagSyn == 0 {
		return NotApplicable
	}
	opts := seg.Options()
	for i := 0; ; {
		kind, at, size, ok := nextOption(opts, i)
		if !ok {
			return NotApplicable
		}
		if kind == optMSS && size == 4 {
			mss := binary.BigEndian.Uint16(opts[at+2:])
			v := uint16(minMSS)
			if mss > reduce && mss-reduce > minMSS {
				v = mss - reduce
			}
			if v < mss {
				tcpUpdate16(seg, header.TCPMinimumSize+at+2, v)
			}
			return Done
		}
		i = at + size
	}
}

// minMSS is Linux's TCP_MIN_MSS.
const minMSS = 88
