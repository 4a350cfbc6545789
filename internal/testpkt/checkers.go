package testpkt

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
)

// SrcMAC checks the Ethernet source address.
func SrcMAC(m header.MAC) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.L2 == nil {
			t.Errorf("SrcMAC: no Ethernet header")
		} else if got := f.L2.SourceAddress(); got != m {
			t.Errorf("source MAC = %v, want %v", got, m)
		}
	}
}

// DstMAC checks the Ethernet destination address.
func DstMAC(m header.MAC) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.L2 == nil {
			t.Errorf("DstMAC: no Ethernet header")
		} else if got := f.L2.DestinationAddress(); got != m {
			t.Errorf("destination MAC = %v, want %v", got, m)
		}
	}
}

// VLAN checks the outermost VLAN ID; 0 means the frame must be untagged.
func VLAN(id uint16) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		switch {
		case id == 0 && len(f.VLANs) != 0:
			t.Errorf("VLAN tags %v, want untagged", f.VLANs)
		case id != 0 && (len(f.VLANs) == 0 || f.VLANs[0] != id):
			t.Errorf("VLAN tags %v, want outer tag %d", f.VLANs, id)
		}
	}
}

// Src checks the IP source address (IPv4-mapped addresses match IPv4).
func Src(a netip.Addr) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.Src.Unmap() != a.Unmap() {
			t.Errorf("source address = %v, want %v", f.Src, a)
		}
	}
}

// Dst checks the IP destination address.
func Dst(a netip.Addr) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.Dst.Unmap() != a.Unmap() {
			t.Errorf("destination address = %v, want %v", f.Dst, a)
		}
	}
}

// TTL checks the IPv4 TTL or IPv6 hop limit.
func TTL(n uint8) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.TTL != n {
			t.Errorf("TTL = %d, want %d", f.TTL, n)
		}
	}
}

// Proto checks the transport protocol.
func Proto(p uint8) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.Proto != p {
			t.Errorf("protocol = %d, want %d", f.Proto, p)
		}
	}
}

// IPLen checks the IP packet length (IPv4 total length, IPv6 40 +
// payload length).
func IPLen(n int) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if !f.Truncated && len(f.IP) != n {
			t.Errorf("IP length = %d, want %d", len(f.IP), n)
		}
	}
}

// hasPorts reports whether the frame's protocol has ports and they are
// present, reporting an error otherwise.
func hasPorts(t testing.TB, f *Frame, what string) bool {
	t.Helper()
	switch f.Proto {
	case header.IPProtoTCP, header.IPProtoUDP, header.IPProtoSCTP:
		if len(f.L4) >= 4 {
			return true
		}
	}
	t.Errorf("%s: protocol %d with %d transport bytes has no ports", what, f.Proto, len(f.L4))
	return false
}

// SrcPort checks the TCP, UDP or SCTP source port.
func SrcPort(p uint16) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if hasPorts(t, f, "SrcPort") {
			if got := binary.BigEndian.Uint16(f.L4[0:]); got != p {
				t.Errorf("source port = %d, want %d", got, p)
			}
		}
	}
}

// DstPort checks the TCP, UDP or SCTP destination port.
func DstPort(p uint16) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if hasPorts(t, f, "DstPort") {
			if got := binary.BigEndian.Uint16(f.L4[2:]); got != p {
				t.Errorf("destination port = %d, want %d", got, p)
			}
		}
	}
}

// tcp returns the TCP header, reporting an error if there is none.
func tcp(t testing.TB, f *Frame, what string) header.TCP {
	t.Helper()
	if f.Proto != header.IPProtoTCP || len(f.L4) < header.TCPMinimumSize {
		t.Errorf("%s: not a TCP segment (protocol %d, %d bytes)", what, f.Proto, len(f.L4))
		return nil
	}
	return header.TCP(f.L4)
}

// TCPFlags checks the TCP flags byte.
func TCPFlags(flags uint8) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if h := tcp(t, f, "TCPFlags"); h != nil && h.Flags() != flags {
			t.Errorf("TCP flags = %#02x, want %#02x", h.Flags(), flags)
		}
	}
}

// Seq checks the TCP sequence number.
func Seq(n uint32) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if h := tcp(t, f, "Seq"); h != nil && h.SequenceNumber() != n {
			t.Errorf("TCP sequence = %d, want %d", h.SequenceNumber(), n)
		}
	}
}

// Ack checks the TCP acknowledgment number.
func Ack(n uint32) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if h := tcp(t, f, "Ack"); h != nil && h.AckNumber() != n {
			t.Errorf("TCP acknowledgment = %d, want %d", h.AckNumber(), n)
		}
	}
}

// ICMP checks an ICMPv4 or ICMPv6 message's type and code.
func ICMP(typ, code uint8) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if (f.Proto != header.IPProtoICMPv4 && f.Proto != header.IPProtoICMPv6) || len(f.L4) < 2 {
			t.Errorf("ICMP: not an ICMP message (protocol %d)", f.Proto)
		} else if f.L4[0] != typ || f.L4[1] != code {
			t.Errorf("ICMP type/code = %d/%d, want %d/%d", f.L4[0], f.L4[1], typ, code)
		}
	}
}

// payload returns the transport payload: after the TCP header, UDP
// header, SCTP common header or 8-byte ICMP header.
func payload(f *Frame) ([]byte, bool) {
	n := 0
	switch f.Proto {
	case header.IPProtoTCP:
		if len(f.L4) < header.TCPMinimumSize {
			return nil, false
		}
		n = int(header.TCP(f.L4).DataOffset())
	case header.IPProtoUDP:
		n = header.UDPMinimumSize
	case header.IPProtoSCTP:
		n = 12
	case header.IPProtoICMPv4, header.IPProtoICMPv6:
		n = header.ICMPv4MinimumSize
	}
	if n > len(f.L4) {
		return nil, false
	}
	return f.L4[n:], true
}

// Payload checks the transport payload.
func Payload(want []byte) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		got, ok := payload(f)
		if !ok {
			t.Errorf("Payload: transport header of protocol %d cut short", f.Proto)
		} else if !bytes.Equal(got, want) {
			t.Errorf("payload = %q, want %q", got, want)
		}
	}
}

// ValidChecksums checks the IPv4 header checksum and the TCP, UDP, SCTP,
// ICMPv4 or ICMPv6 checksum (the latter not on a truncated quoted
// packet). A zero UDP checksum over IPv4 passes.
func ValidChecksums() Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		if f.Family == 4 && !header.IPv4(f.IP).IsChecksumValid() {
			t.Errorf("bad IPv4 header checksum %#04x", header.IPv4(f.IP).Checksum())
		}
		if f.Truncated {
			return
		}
		src, dst := addrBytes(f.Src), addrBytes(f.Dst)
		ok := true
		switch f.Proto {
		case header.IPProtoTCP:
			ok = len(f.L4) >= header.TCPMinimumSize && header.TCP(f.L4).IsChecksumValid(src, dst)
		case header.IPProtoUDP:
			ok = len(f.L4) >= header.UDPMinimumSize && header.UDP(f.L4).IsChecksumValid(src, dst)
		case header.IPProtoICMPv4:
			ok = len(f.L4) >= 4 && header.ICMPv4(f.L4).IsChecksumValid()
		case header.IPProtoICMPv6:
			ok = len(f.L4) >= 4 && header.ICMPv6(f.L4).IsChecksumValid(src, dst)
		case header.IPProtoSCTP:
			ok = len(f.L4) >= 12 && sctpValid(f.L4)
		}
		if !ok {
			t.Errorf("bad protocol %d checksum", f.Proto)
		}
	}
}

func addrBytes(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

func sctpValid(l4 []byte) bool {
	want := binary.LittleEndian.Uint32(l4[8:])
	c := bytes.Clone(l4)
	clear(c[8:12])
	return crc32.Checksum(c, crc32.MakeTable(crc32.Castagnoli)) == want
}

// Inner runs checkers on the packet a frame carries: the inner packet of
// IP-in-IP (protocols 4 and 41), or the packet quoted by an ICMP error
// (possibly truncated).
func Inner(checkers ...Checker) Checker {
	return func(t testing.TB, f *Frame) {
		t.Helper()
		var inner []byte
		switch {
		case f.Proto == header.IPProtoIPIP || f.Proto == header.IPProtoIPv6:
			inner = f.L4
		case f.Proto == header.IPProtoICMPv4 && len(f.L4) >= 8 && header.IsICMPv4Error(f.L4[0]),
			f.Proto == header.IPProtoICMPv6 && len(f.L4) >= 8 && header.IsICMPv6Error(f.L4[0]):
			inner = f.L4[8:]
		default:
			t.Errorf("Inner: protocol %d carries no packet", f.Proto)
			return
		}
		g := &Frame{}
		if err := decodeIP(g, inner, true); err != nil {
			t.Errorf("Inner: %v", err)
			return
		}
		for _, c := range checkers {
			c(t, g)
		}
	}
}
