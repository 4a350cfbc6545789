package labtraffic

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// dialTCP connects to addr from ns, from source address src when it is
// valid (an address of ns: one of several clients sharing a namespace),
// else from the address the kernel chooses.
func dialTCP(ctx context.Context, ns *netlab.NS, src netip.Addr, addr string) (*net.TCPConn, error) {
	if !src.IsValid() {
		return ns.DialTCP(ctx, addr)
	}
	c, err := dialFrom(ctx, ns, "tcp", &net.TCPAddr{IP: src.AsSlice()}, addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// dialUDP opens a UDP socket connected to addr from ns, bound to src when
// it is valid.
func dialUDP(ctx context.Context, ns *netlab.NS, src netip.Addr, addr string) (*net.UDPConn, error) {
	if !src.IsValid() {
		return ns.DialUDP(ctx, addr)
	}
	c, err := dialFrom(ctx, ns, "udp", &net.UDPAddr{IP: src.AsSlice()}, addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// dialFrom creates and connects the socket on a thread inside ns (a
// literal address: the dialer works on the calling goroutine), so the
// socket belongs to ns for its whole life.
func dialFrom(ctx context.Context, ns *netlab.NS, network string, local net.Addr, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		d := net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
		if dl, ok := ctx.Deadline(); ok {
			d.Deadline = dl
		}
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("labtraffic: dial %s %s from %s in %s: %w", network, addr, local, ns, err)
	}
	return c, nil
}
