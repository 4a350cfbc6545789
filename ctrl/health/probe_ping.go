package health

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// ICMP message types of echo (RFC 792, RFC 4443).
const (
	icmpEchoReply4   = 0
	icmpEcho4        = 8
	icmpEcho6        = 128
	icmpEchoReply6   = 129
	icmpProtoV6      = 58
	echoHeaderLength = 8
)

// probePing sends one ICMP (ICMPv6) echo request to addr and waits for
// the matching reply until ctx ends. It uses an unprivileged ping socket
// where net.ipv4.ping_group_range allows one, a raw socket otherwise
// (root).
func (c *Checker) probePing(ctx context.Context, ch Check, addr netip.Addr) error {
	var conn net.PacketConn
	var raw bool
	err := c.cfg.Enter(func() error {
		var err error
		conn, raw, err = listenICMP(addr.Is6(), ch.BindTo)
		return err
	})
	if err != nil {
		return fmt.Errorf("ICMP socket: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	id, seq := uint16(rand.Uint32()), uint16(rand.Uint32())
	msg := echoRequest(addr.Is6(), id, seq)
	var to net.Addr = &net.UDPAddr{IP: addr.AsSlice()}
	if raw {
		to = &net.IPAddr{IP: addr.AsSlice()}
	}
	if _, err := conn.WriteTo(msg, to); err != nil {
		return fmt.Errorf("echo request to %s: %w", addr, err)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w from %s", ErrNoReply, addr)
			}
			return fmt.Errorf("echo reply from %s: %w", addr, err)
		}
		if isReply(buf[:n], addr.Is6(), raw, id, seq) && sameIP(from, addr) {
			return nil
		}
	}
}

// listenICMP opens an ICMP datagram (ping) socket, or a raw one when
// ping sockets are not allowed for this group.
func listenICMP(v6 bool, bind netip.Addr) (net.PacketConn, bool, error) {
	family, proto, rawNet := syscall.AF_INET, syscall.IPPROTO_ICMP, "ip4:icmp"
	if v6 {
		family, proto, rawNet = syscall.AF_INET6, icmpProtoV6, "ip6:ipv6-icmp"
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, proto)
	if err == nil {
		if bind.IsValid() {
			if err = syscall.Bind(fd, sockaddr(bind)); err != nil {
				syscall.Close(fd)
				return nil, false, err
			}
		}
		f := os.NewFile(uintptr(fd), "icmp")
		conn, err := net.FilePacketConn(f)
		f.Close()
		return conn, false, err
	}
	if !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EPROTONOSUPPORT) {
		return nil, false, err
	}
	local := ""
	if bind.IsValid() {
		local = bind.String()
	}
	conn, err := net.ListenPacket(rawNet, local)
	return conn, true, err
}

func sockaddr(a netip.Addr) syscall.Sockaddr {
	if a.Is4() {
		return &syscall.SockaddrInet4{Addr: a.As4()}
	}
	return &syscall.SockaddrInet6{Addr: a.As16()}
}

// echoRequest builds an echo request with a 16-byte payload. The kernel
// fills in the ICMPv6 checksum (and the identifier of ping sockets); the
// ICMP checksum is computed here (RFC 1071).
func echoRequest(v6 bool, id, seq uint16) []byte {
	b := make([]byte, echoHeaderLength+16)
	b[0] = icmpEcho4
	if v6 {
		b[0] = icmpEcho6
	}
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], "xlvs PING_CHECK!")
	if !v6 {
		binary.BigEndian.PutUint16(b[2:], inetChecksum(b))
	}
	return b
}

// isReply reports whether b is the echo reply to (id, seq). Ping sockets
// rewrite the identifier, so only raw sockets compare it.
func isReply(b []byte, v6, raw bool, id, seq uint16) bool {
	if len(b) < echoHeaderLength {
		return false
	}
	want := byte(icmpEchoReply4)
	if v6 {
		want = icmpEchoReply6
	}
	if b[0] != want || b[1] != 0 || binary.BigEndian.Uint16(b[6:]) != seq {
		return false
	}
	return !raw || binary.BigEndian.Uint16(b[4:]) == id
}

func sameIP(a net.Addr, want netip.Addr) bool {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	default:
		return false
	}
	got, ok := netip.AddrFromSlice(ip)
	return ok && got.Unmap() == want.Unmap()
}

// inetChecksum is the Internet checksum of b (RFC 1071).
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = (sum >> 16) + (sum & 0xffff)
	}
	return ^uint16(sum)
}
