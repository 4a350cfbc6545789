package fullnat

import (
	"encoding/binary"

	"github.com/xlvs/xlvs/dataplane/checksum"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// maxIPLen is the largest IP total length (IPv4) or 40 + payload length
// (IPv6, without jumbograms) a frame function produces.
const maxIPLen = 0xffff

// tcpAt checks that frame[:n] holds the TCP segment m describes, as
// packet.Parse left it or as this package's functions updated it, and
// returns the offsets of the TCP header and of the end of the IP packet.
// It checks everything the callers index, so no input makes them panic.
func tcpAt(frame []byte, n int, m *packet.Meta) (l4, end int, ok bool) {
	if m.Proto != header.IPProtoTCP {
		return 0, 0, false
	}
	l3, l4, end := int(m.L3Off), int(m.L4Off), int(m.L3Off)+int(m.IPLen)
	if n > len(frame) || end > n || l4+header.TCPMinimumSize > end {
		return 0, 0, false
	}
	if !ipConsistent(frame, m, l3, l4) {
		return 0, 0, false
	}
	off := int(header.TCP(frame[l4:]).DataOffset())
	if off < header.TCPMinimumSize || l4+off > end {
		return 0, 0, false
	}
	return l4, end, true
}

// udpAt is tcpAt for a UDP datagram whose length field matches the IP
// packet.
func udpAt(frame []byte, n int, m *packet.Meta) (l4, end int, ok bool) {
	if m.Proto != header.IPProtoUDP {
		return 0, 0, false
	}
	l3, l4, end := int(m.L3Off), int(m.L4Off), int(m.L3Off)+int(m.IPLen)
	if n > len(frame) || end > n || l4+header.UDPMinimumSize > end {
		return 0, 0, false
	}
	if !ipConsistent(frame, m, l3, l4) || int(header.UDP(frame[l4:]).Length()) != end-l4 {
		return 0, 0, false
	}
	return l4, end, true
}

// ipConsistent checks the IP header at l3 against m: an IPv4 header
// without options whose total length is m.IPLen, or an IPv6 header whose
// payload length is m.IPLen-40, and l4 after it.
func ipConsistent(frame []byte, m *packet.Meta, l3, l4 int) bool {
	switch m.Family {
	case 4:
		if l4 != l3+header.IPv4MinimumSize {
			return false
		}
		ip := header.IPv4(frame[l3:])
		return ip.Version() == header.IPv4Version && int(ip.HeaderLength()) == header.IPv4MinimumSize &&
			ip.TotalLength() == m.IPLen
	case 6:
		if l4 < l3+header.IPv6MinimumSize {
			return false
		}
		ip := header.IPv6(frame[l3:])
		return ip.Version() == 6 && int(ip.PayloadLength())+header.IPv6MinimumSize == int(m.IPLen)
	}
	return false
}

// grow opens k bytes at offset at of the IP packet ending at end (moving
// what follows towards the end of frame), adds k to the IP length fields
// and to m, and returns the new frame length: the end of the IP packet,
// any Ethernet padding after it being dropped. The caller has checked
// that end+k fits frame and maxIPLen.
func grow(frame []byte, m *packet.Meta, at, end, k int) int {
	copy(frame[at+k:end+k], frame[at:end])
	l3 := int(m.L3Off)
	switch m.Family {
	case 4:
		ip := header.IPv4(frame[l3:])
		old := ip.TotalLength()
		ip.SetTotalLength(old + uint16(k))
		ip.SetChecksum(^checksum.Update(^ip.Checksum(), old, old+uint16(k)))
	case 6:
		ip := header.IPv6(frame[l3:])
		ip.SetPayloadLength(ip.PayloadLength() + uint16(k))
	}
	m.IPLen += uint16(k)
	return end + k
}

// fits reports whether k more bytes fit the frame buffer and the MTU
// (mtu ≤ 0: no limit), or the reason they do not.
func fits(frame []byte, m *packet.Meta, end, k, mtu int) Result {
	newLen := int(m.IPLen) + k
	if (mtu > 0 && newLen > mtu) || newLen > maxIPLen {
		return TooBig
	}
	if end+k > len(frame) {
		return NoRoom
	}
	return Done
}

// fieldSum returns the contribution of b, which starts at offset off of
// the checksummed data, to its ones-complement sum: the sum of b's 16-bit
// words, byte-swapped when off is odd (RFC 1071 §2(B)).
func fieldSum(b []byte, off int) uint16 {
	s := checksum.Checksum(b, 0)
	if off&1 != 0 {
		s = s<<8 | s>>8
	}
	return s
}

// tcpUpdate32 sets the 32-bit value at offset off of a TCP segment (off
// may be odd, as in options) and updates its checksum incrementally.
func tcpUpdate32(seg header.TCP, off int, v uint32) {
	old := fieldSum(seg[off:off+4], off)
	binary.BigEndian.PutUint32(seg[off:], v)
	seg.SetChecksum(^checksum.Update(^seg.Checksum(), old, fieldSum(seg[off:off+4], off)))
}

// tcpUpdate16 is tcpUpdate32 for a 16-bit value.
func tcpUpdate16(seg header.TCP, off int, v uint16) {
	old := fieldSum(seg[off:off+2], off)
	binary.BigEndian.PutUint16(seg[off:], v)
	seg.SetChecksum(^checksum.Update(^seg.Checksum(), old, fieldSum(seg[off:off+2], off)))
}

// TCP option kinds (IANA "TCP Option Kind Numbers").
const (
	optEnd  = 0
	optNOP  = 1
	optMSS  = 2
	optSACK = 5
	optTOA  = 254 // experimental; TOA's kind in DPVS and the Linux TOA module
)

// nextOption returns the offset (within opts) and length of the option
// at or after i, skipping NOPs; ok is false at the end of the options
// (kind 0 or the end of the space) or at a malformed option.
func nextOption(opts []byte, i int) (kind byte, at, size int, ok bool) {
	for i < len(opts) {
		switch opts[i] {
		case optEnd:
			return 0, 0, 0, false
		case optNOP:
			i++
			continue
		}
		if i+1 >= len(opts) {
			return 0, 0, 0, false
		}
		size = int(opts[i+1])
		if size < 2 || i+size > len(opts) {
			return 0, 0, 0, false
		}
		return opts[i], i, size, true
	}
	return 0, 0, 0, false
}
