package testpkt

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

// Frame is a frame decoded by [Check], independently of package packet.
// Checker options read it.
type Frame struct {
	// L2 is the Ethernet header, nil for [CheckIP] and inner packets.
	L2        header.Ethernet
	VLANs     []uint16 // tag IDs, outermost first
	EtherType uint16   // after the VLAN tags
	// IP is the IP packet up to its stated length (or to the end of the
	// bytes, for a truncated quoted packet).
	IP       []byte
	Family   int // 4 or 6
	Src, Dst netip.Addr
	TTL      uint8 // TTL or hop limit
	Proto    uint8 // transport protocol after IPv6 extension headers
	L4       []byte
	// Truncated says IP is shorter than stated: a packet quoted by an ICMP
	// error. Transport checksums are not checked then.
	Truncated bool
}

// Checker checks one property of a decoded frame, reporting failures
// with t.Errorf.
type Checker func(t testing.TB, f *Frame)

// Check decodes frame (Ethernet, up to two VLAN tags, IPv4 or IPv6 with
// extension headers) and runs the checkers on it. A frame that does not
// decode fails the test at once.
func Check(t testing.TB, frame []byte, checkers ...Checker) {
	t.Helper()
	f, err := Decode(frame)
	if err != nil {
		t.Fatalf("testpkt: %v\nframe: % x", err, frame)
		return
	}
	for _, c := range checkers {
		c(t, f)
	}
}

// CheckIP is [Check] for an IP packet without Ethernet header.
func CheckIP(t testing.TB, pkt []byte, checkers ...Checker) {
	t.Helper()
	f := &Frame{}
	if err := decodeIP(f, pkt, false); err != nil {
		t.Fatalf("testpkt: %v\npacket: % x", err, pkt)
		return
	}
	for _, c := range checkers {
		c(t, f)
	}
}

// Decode errors.
var (
	errShort     = errors.New("frame too short")
	errEtherType = errors.New("not an IPv4 or IPv6 frame")
	errIP        = errors.New("malformed IP header")
)

// Decode decodes a frame as [Check] does.
func Decode(frame []byte) (*Frame, error) {
	f := &Frame{}
	if len(frame) < header.EthernetMinimumSize {
		return nil, fmt.Errorf("%w: %d bytes", errShort, len(frame))
	}
	f.L2 = header.Ethernet(frame[:header.EthernetMinimumSize])
	off := header.EthernetMinimumSize
	et := f.L2.Type()
	for header.IsVLAN(et) {
		if len(frame) < off+header.VLANTagSize {
			return nil, fmt.Errorf("%w: VLAN tag cut", errShort)
		}
		v := header.VLAN(frame[off:])
		f.VLANs = append(f.VLANs, v.ID())
		et = v.Type()
		off += header.VLANTagSize
	}
	f.EtherType = et
	if et != header.EtherTypeIPv4 && et != header.EtherTypeIPv6 {
		return nil, fmt.Errorf("%w: EtherType %#04x", errEtherType, et)
	}
	if err := decodeIP(f, frame[off:], false); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeIP decodes the IP packet at the start of b into f. With lenient,
// b may be shorter than the stated length (a quoted packet).
func decodeIP(f *Frame, b []byte, lenient bool) error {
	if len(b) < 1 {
		return fmt.Errorf("%w: no IP header", errShort)
	}
	switch b[0] >> 4 {
	case 4:
		ip := header.IPv4(b)
		if len(b) < header.IPv4MinimumSize || int(ip.HeaderLength()) < header.IPv4MinimumSize || len(b) < int(ip.HeaderLength()) {
			return fmt.Errorf("%w: IPv4 header of %d bytes", errIP, len(b))
		}
		n := int(ip.TotalLength())
		if n < int(ip.HeaderLength()) || (n > len(b) && !lenient) {
			return fmt.Errorf("%w: IPv4 total length %d with %d bytes", errIP, n, len(b))
		}
		f.Family, f.Src, f.Dst, f.TTL, f.Proto = 4, ip.SourceAddress(), ip.DestinationAddress(), ip.TTL(), ip.Protocol()
		f.IP, f.Truncated = b[:min(n, len(b))], n > len(b)
		f.L4 = f.IP[ip.HeaderLength():]
	case 6:
		ip := header.IPv6(b)
		if len(b) < header.IPv6MinimumSize {
			return fmt.Errorf("%w: IPv6 header of %d bytes", errIP, len(b))
		}
		n := header.IPv6MinimumSize + int(ip.PayloadLength())
		if n > len(b) && !lenient {
			return fmt.Errorf("%w: IPv6 length %d with %d bytes", errIP, n, len(b))
		}
		f.Family, f.Src, f.Dst, f.TTL = 6, ip.SourceAddress(), ip.DestinationAddress(), ip.HopLimit()
		f.IP, f.Truncated = b[:min(n, len(b))], n > len(b)
		proto, off, st := header.SkipIPv6ExtHeaders(f.IP[header.IPv6MinimumSize:], ip.NextHeader(), header.IPv6MaxExtHeaders)
		if st == header.ExtHeaderMalformed || st == header.ExtHeaderTooMany {
			return fmt.Errorf("%w: IPv6 extension headers", errIP)
		}
		f.Proto, f.L4 = proto, f.IP[header.IPv6MinimumSize+off:]
	default:
		return fmt.Errorf("%w: version %d", errIP, b[0]>>4)
	}
	return nil
}
