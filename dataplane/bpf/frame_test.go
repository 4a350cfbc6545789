//go:build linux

package bpf

import (
	"encoding/binary"
	"net/netip"
)

// frame is a small fluent builder of test frames. Each layer call appends a
// header and fills the "next protocol" field left open by the previous one;
// bytes fixes the IP length fields. Tests then corrupt fields in place via
// the recorded offsets (l3, l4).
//
// It exists because internal/testpkt is not available yet; it builds only
// what the steering tests need and computes no checksums (the program
// reads none).
type frame struct {
	b      []byte
	l3, l4 int
	next   int // offset of the open next-protocol byte, -1 for an EtherType
	v6     bool
}

// Ethernet types used by the tests.
const (
	etherIPv4 = 0x0800
	etherARP  = 0x0806
	etherIPv6 = 0x86dd
	etherLLDP = 0x88cc
	tpid8021Q = 0x8100
	tpidQinQ  = 0x88a8
)

// ether starts a frame with an Ethernet header followed by one VLAN tag
// (VID 7) per TPID in tags.
func ether(tags ...uint16) *frame {
	f := &frame{next: -1}
	f.b = append(f.b, 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02)
	for _, tpid := range tags {
		f.b = binary.BigEndian.AppendUint16(f.b, tpid)
		f.b = binary.BigEndian.AppendUint16(f.b, 7)
	}
	return f
}

// etherType closes the L2 header with typ and appends n payload bytes.
func (f *frame) etherType(typ uint16, n int) *frame {
	f.b = binary.BigEndian.AppendUint16(f.b, typ)
	f.b = append(f.b, make([]byte, n)...)
	return f
}

// ipv4 appends a 20-byte IPv4 header (TTL 64, DF).
func (f *frame) ipv4(src, dst string) *frame {
	f.b = binary.BigEndian.AppendUint16(f.b, etherIPv4)
	f.l3 = len(f.b)
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	f.b = append(f.b, 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 0, 0, 0)
	f.b = append(f.b, s[:]...)
	f.b = append(f.b, d[:]...)
	f.next = f.l3 + 9
	return f
}

// ipv6 appends a 40-byte IPv6 header (hop limit 64).
func (f *frame) ipv6(src, dst string) *frame {
	f.b = binary.BigEndian.AppendUint16(f.b, etherIPv6)
	f.l3 = len(f.b)
	f.v6 = true
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	f.b = append(f.b, 0x60, 0, 0, 0, 0, 0, 0, 64)
	f.b = append(f.b, s[:]...)
	f.b = append(f.b, d[:]...)
	f.next = f.l3 + 6
	return f
}

// layer appends hdr as protocol proto.
func (f *frame) layer(proto uint8, hdr []byte) *frame {
	f.b[f.next] = proto
	f.l4 = len(f.b)
	f.b = append(f.b, hdr...)
	return f
}

// ext6 appends an 8-byte IPv6 extension header of type typ (hop-by-hop 0,
// routing 43, fragment 44, destination options 60; AH 51 gets 12 bytes).
func (f *frame) ext6(typ uint8) *frame {
	at := len(f.b)
	hdr := make([]byte, 8)
	if typ == 51 {
		hdr = make([]byte, 12)
		hdr[1] = 1 // (1+2)*4 = 12 bytes
	}
	f.layer(typ, hdr)
	f.next = at
	return f
}

func ports(sport, dport uint16, n int) []byte {
	h := make([]byte, n)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	return h
}

// tcp appends a 20-byte TCP header with SYN set.
func (f *frame) tcp(sport, dport uint16) *frame {
	h := ports(sport, dport, 20)
	h[12], h[13] = 0x50, 0x02
	return f.layer(6, h)
}

// udp appends an 8-byte UDP header.
func (f *frame) udp(sport, dport uint16) *frame {
	h := ports(sport, dport, 8)
	binary.BigEndian.PutUint16(h[4:], 8)
	return f.layer(17, h)
}

// sctp appends a 12-byte SCTP common header.
func (f *frame) sctp(sport, dport uint16) *frame { return f.layer(132, ports(sport, dport, 12)) }

// icmp appends an 8-byte echo request (ICMP, or ICMPv6 after ipv6).
func (f *frame) icmp() *frame {
	if f.v6 {
		return f.layer(58, []byte{128, 0, 0, 0, 0, 1, 0, 1})
	}
	return f.layer(1, []byte{8, 0, 0, 0, 0, 1, 0, 1})
}

// payload appends n zero bytes counted in the IP length.
func (f *frame) payload(n int) *frame {
	f.b = append(f.b, make([]byte, n)...)
	return f
}

// bytes sets the IPv4 total length or the IPv6 payload length to cover
// everything after the IP header start, and returns the frame.
func (f *frame) bytes() []byte {
	switch {
	case f.l3 == 0:
	case f.v6:
		binary.BigEndian.PutUint16(f.b[f.l3+4:], uint16(len(f.b)-f.l3-40))
	default:
		binary.BigEndian.PutUint16(f.b[f.l3+2:], uint16(len(f.b)-f.l3))
	}
	return f.b
}

// with returns the frame's bytes after applying fn to them.
func (f *frame) with(fn func(f *frame, b []byte) []byte) []byte {
	return fn(f, f.bytes())
}
