package labtraffic

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
)

// PROXY protocol version 2 (haproxy's proxy-protocol.txt, section 2.2), as a
// FULLNAT director with --proxy-protocol v2 puts it in front of a TCP
// stream and of every UDP datagram: a 16-byte header — the 12-byte
// signature, version and command, family and transport, length of what
// follows — then the addresses (IPv4: source, destination, source port,
// destination port in 12 bytes; IPv6 in 36) and optional TLVs.

// proxySig is the PROXY v2 signature.
var proxySig = [12]byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a}

// ErrProxyHeader means a PROXY-aware server received no valid PROXY v2
// header where one must be.
var ErrProxyHeader = errors.New("labtraffic: bad PROXY v2 header")

// ProxyHeader is what a PROXY v2 header says.
type ProxyHeader struct {
	Local bool           // command LOCAL (the proxy's own connection): no addresses
	Src   netip.AddrPort // the client
	Dst   netip.AddrPort // the address the client connected to (the VIP)
}

// ParseProxyV2 parses the PROXY v2 header at the start of b and returns it
// and its length (the client's bytes start there).
func ParseProxyV2(b []byte) (ProxyHeader, int, error) {
	if len(b) < 16 {
		return ProxyHeader{}, 0, fmt.Errorf("%w: %d bytes, want at least 16", ErrProxyHeader, len(b))
	}
	if [12]byte(b[:12]) != proxySig {
		return ProxyHeader{}, 0, fmt.Errorf("%w: no signature (% x)", ErrProxyHeader, b[:12])
	}
	n := 16 + int(binary.BigEndian.Uint16(b[14:]))
	if len(b) < n {
		return ProxyHeader{}, 0, fmt.Errorf("%w: %d bytes of a %d-byte header", ErrProxyHeader, len(b), n)
	}
	var h ProxyHeader
	switch b[12] {
	case 0x20:
		h.Local = true
		return h, n, nil
	case 0x21:
	default:
		return h, 0, fmt.Errorf("%w: version/command %#x", ErrProxyHeader, b[12])
	}
	body := b[16:n]
	switch b[13] {
	case 0x11, 0x12: // TCP, UDP over IPv4
		if len(body) < 12 {
			return h, 0, fmt.Errorf("%w: %d bytes of IPv4 addresses", ErrProxyHeader, len(body))
		}
		h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:]))
	case 0x21, 0x22: // TCP, UDP over IPv6
		if len(body) < 36 {
			return h, 0, fmt.Errorf("%w: %d bytes of IPv6 addresses", ErrProxyHeader, len(body))
		}
		h.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])), binary.BigEndian.Uint16(body[32:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])), binary.BigEndian.Uint16(body[34:]))
	default:
		return h, 0, fmt.Errorf("%w: family/transport %#x", ErrProxyHeader, b[13])
	}
	return h, n, nil
}

// readProxyV2 reads exactly one PROXY v2 header from r (nothing after it).
func readProxyV2(r io.Reader) (ProxyHeader, error) {
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return ProxyHeader{}, fmt.Errorf("%w: %v", ErrProxyHeader, err)
	}
	if [12]byte(hdr[:12]) != proxySig || hdr[12]&0xf0 != 0x20 {
		// Not a header: say so now rather than wait for a length that is text.
		_, _, err := ParseProxyV2(hdr)
		if err == nil {
			err = fmt.Errorf("%w: version/command %#x", ErrProxyHeader, hdr[12])
		}
		return ProxyHeader{}, err
	}
	hdr = append(hdr, make([]byte, binary.BigEndian.Uint16(hdr[14:]))...)
	if _, err := io.ReadFull(r, hdr[16:]); err != nil {
		return ProxyHeader{}, fmt.Errorf("%w: %v", ErrProxyHeader, err)
	}
	h, _, err := ParseProxyV2(hdr)
	return h, err
}

// ServeProxy is [Serve] for real servers behind a FULLNAT director that
// sends the PROXY protocol v2: every TCP connection starts with a header,
// every UDP datagram carries one. The server reads it, records the client
// it names ([Server.ProxyClients]) and then serves the rest as Serve does:
// the client sees the same name line and exact echo. A connection or
// datagram without a valid header is counted ([Server.ProxyErrors]) and
// dropped.
func ServeProxy(ns *netlab.NS, name string, tcpAddrs, udpAddrs []string) (*Server, error) {
	return serve(ns, name, tcpAddrs, udpAddrs, true)
}
