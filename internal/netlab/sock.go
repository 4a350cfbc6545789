package netlab

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Sockets opened by these helpers are created on a thread inside the
// namespace and belong to it for their whole life: use them from any
// goroutine. Addresses must be IP literals ("198.18.0.1:80", "[fd00::1]:80"):
// name resolution would run elsewhere.

// ListenTCP listens on TCP address addr inside the namespace.
func (ns *NS) ListenTCP(addr string) (*net.TCPListener, error) {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadAddress, addr, err)
	}
	var ln *net.TCPListener
	err = ns.do(func() error {
		var err error
		ln, err = net.ListenTCP("tcp", a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netlab: listen tcp %s in %s: %w", addr, nsName(ns), err)
	}
	return ln, nil
}

// ListenUDP opens a UDP socket bound to addr inside the namespace.
func (ns *NS) ListenUDP(addr string) (*net.UDPConn, error) {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadAddress, addr, err)
	}
	var c *net.UDPConn
	err = ns.do(func() error {
		var err error
		c, err = net.ListenUDP("udp", a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netlab: listen udp %s in %s: %w", addr, nsName(ns), err)
	}
	return c, nil
}

// DialTCP connects to TCP address addr from inside the namespace. The
// context bounds the connection attempt only.
func (ns *NS) DialTCP(ctx context.Context, addr string) (*net.TCPConn, error) {
	c, err := ns.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// DialUDP opens a UDP socket connected to addr from inside the namespace.
func (ns *NS) DialUDP(ctx context.Context, addr string) (*net.UDPConn, error) {
	c, err := ns.dial(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// dial dials a literal address. With a single literal address the dialer
// creates and connects the socket on the calling goroutine (no parallel
// "happy eyeballs" goroutines), i.e. on the namespace's thread.
func (ns *NS) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) == nil {
		return nil, fmt.Errorf("%w %q: want ip:port", ErrBadAddress, addr)
	}
	var c net.Conn
	err = ns.do(func() error {
		var d net.Dialer
		if dl, ok := ctx.Deadline(); !ok {
			d.Timeout = 10 * time.Second
		} else {
			d.Deadline = dl
		}
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netlab: dial %s %s from %s: %w", network, addr, nsName(ns), err)
	}
	return c, nil
}
