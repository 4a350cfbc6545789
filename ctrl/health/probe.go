package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// Errors of checks, wrapped with the details.
var (
	// ErrCheckTimeout is a check that did not finish within its timeout.
	ErrCheckTimeout = errors.New("timed out")
	// ErrStatus is an HTTP answer with a status code outside status_code.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrDigest is an HTTP body whose MD5 differs from digest.
	ErrDigest = errors.New("body digest mismatch")
	// ErrExit is a MISC_CHECK program that exited with a failure code.
	ErrExit = errors.New("check program failed")
	// ErrNoReply is a PING_CHECK without an echo reply.
	ErrNoReply = errors.New("no echo reply")
)

// probe runs one check against target within the check's timeout.
func (c *Checker) probe(ctx context.Context, ch Check, target netip.AddrPort) result {
	timeout := ch.ConnectTimeout
	if ch.Type == MiscCheck {
		timeout = ch.MiscTimeout
		if timeout <= 0 {
			timeout = ch.DelayLoop
		}
	}
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var res result
	switch ch.Type {
	case TCPCheck:
		conn, err := c.dial(ctx, ch, target)
		if err == nil {
			conn.Close()
		}
		res = result{err: err, weight: -1}
	case HTTPGet, SSLGet:
		res = result{err: c.probeHTTP(ctx, ch, target), weight: -1}
	case MiscCheck:
		res = c.probeMisc(ctx, ch)
	case PingCheck:
		res = result{err: c.probePing(ctx, ch, target.Addr()), weight: -1}
	default:
		res = result{err: fmt.Errorf("unknown checker %v", ch.Type), weight: -1}
	}
	timedOut := ctx.Err() == context.DeadlineExceeded || errors.Is(res.err, os.ErrDeadlineExceeded)
	if res.err != nil && timedOut && !errors.Is(res.err, ErrCheckTimeout) {
		res.err = fmt.Errorf("%w after %v: %w", ErrCheckTimeout, timeout, res.err)
	}
	return res
}

// dial opens the check's TCP connection to target from the kernel stack,
// honouring bindto, bind_port, bind_if and fwmark.
func (c *Checker) dial(ctx context.Context, ch Check, target netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{Control: sockopts(ch)}
	if ch.BindTo.IsValid() || ch.BindPort != 0 {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(ch.BindTo, ch.BindPort))
	}
	var conn net.Conn
	err := c.cfg.Enter(func() error {
		var err error
		conn, err = d.DialContext(ctx, "tcp", target.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", target, err)
	}
	return conn, nil
}

// sockopts returns a Control function setting SO_BINDTODEVICE and SO_MARK.
func sockopts(ch Check) func(network, address string, rc syscall.RawConn) error {
	if ch.BindIf == "" && ch.FWMark == 0 {
		return nil
	}
	return func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if ch.BindIf != "" {
				serr = syscall.BindToDevice(int(fd), ch.BindIf)
			}
			if serr == nil && ch.FWMark != 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, int(ch.FWMark))
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
