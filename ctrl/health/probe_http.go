package health

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// maxBody bounds how much of a body an HTTP check reads.
const maxBody = 16 << 20

// probeHTTP fetches every URL of the check, each over its own connection
// as keepalived does, and checks the status code and the body's MD5.
func (c *Checker) probeHTTP(ctx context.Context, ch Check, target netip.AddrPort) error {
	if len(ch.URLs) == 0 {
		return fmt.Errorf("%v without url", ch.Type)
	}
	for _, u := range ch.URLs {
		if err := c.getURL(ctx, ch, u, target); err != nil {
			return err
		}
	}
	return nil
}

func (c *Checker) getURL(ctx context.Context, ch Check, u URL, target netip.AddrPort) error {
	conn, err := c.dial(ctx, ch, target)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	host := u.VirtualHost
	if host == "" {
		host = ch.VirtualHost
	}
	if ch.Type == SSLGet {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, ServerName: host})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake with %s: %w", target, err)
		}
		conn = tc
	}
	if _, err := io.WriteString(conn, requestText(ch.HTTPProtocol, u.Path, host, target)); err != nil {
		return fmt.Errorf("GET %s from %s: %w", u.Path, target, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return fmt.Errorf("GET %s from %s: %w", u.Path, target, err)
	}
	defer resp.Body.Close()
	h := md5.New()
	if _, err := io.Copy(h, io.LimitReader(resp.Body, maxBody)); err != nil {
		return fmt.Errorf("GET %s from %s: reading body: %w", u.Path, target, err)
	}
	if !statusOK(u.Status, resp.StatusCode) {
		return fmt.Errorf("GET %s from %s: %w %d", u.Path, target, ErrStatus, resp.StatusCode)
	}
	if u.Digest != "" {
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, u.Digest) {
			return fmt.Errorf("GET %s from %s: %w: got %s, want %s", u.Path, target, ErrDigest, got, u.Digest)
		}
	}
	return nil
}

// requestText is keepalived's request: HTTP/1.0 by default, "1.0C" adds
// Connection: close, "1.1" asks HTTP/1.1 with Connection: close.
func requestText(proto, path, host string, target netip.AddrPort) string {
	if path == "" {
		path = "/"
	}
	if host == "" {
		host = target.Addr().String()
		if target.Addr().Is6() {
			host = "[" + host + "]"
		}
		if target.Port() != 80 {
			host = net.JoinHostPort(target.Addr().String(), fmt.Sprint(target.Port()))
		}
	}
	version, conn := "HTTP/1.0", ""
	switch proto {
	case "1.0C":
		conn = "Connection: close\r\n"
	case "1.1":
		version, conn = "HTTP/1.1", "Connection: close\r\n"
	}
	return "GET " + path + " " + version + "\r\nUser-Agent: KeepAliveClient\r\nHost: " + host + "\r\n" + conn + "\r\n"
}

// statusOK reports whether code is accepted; no ranges: 200-299.
func statusOK(ranges []StatusRange, code int) bool {
	if len(ranges) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range ranges {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}
