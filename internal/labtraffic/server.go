package labtraffic

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Server is a named traffic server listening on TCP and UDP addresses in
// one namespace.
type Server struct {
	name  string
	proxy bool    // PROXY v2 in front of each connection and datagram (proxy.go)
	log   peerLog // sources and PROXY clients heard from (peers.go)

	tcpConns     atomic.Int64
	tcpBytesIn   atomic.Int64
	tcpBytesOut  atomic.Int64
	udpDatagrams atomic.Int64
	udpBytesIn   atomic.Int64

	mu      sync.Mutex
	closed  bool
	tcp     []*net.TCPListener
	udp     []*net.UDPConn
	conns   map[net.Conn]struct{}
	serving sync.WaitGroup
}

// Stats are a server's counters.
type Stats struct {
	Name         string // the server's name
	TCPConns     int64  // TCP connections accepted
	TCPBytesIn   int64  // payload bytes received over TCP
	TCPBytesOut  int64  // bytes sent over TCP (name lines and echoes)
	UDPDatagrams int64  // UDP datagrams received
	UDPBytesIn   int64  // UDP payload bytes received
}

// String formats the counters on one line.
func (s Stats) String() string {
	return fmt.Sprintf("%s: tcp %d conns, %d bytes in, %d bytes out; udp %d datagrams, %d bytes in",
		s.Name, s.TCPConns, s.TCPBytesIn, s.TCPBytesOut, s.UDPDatagrams, s.UDPBytesIn)
}

// Serve starts a server called name in ns (nil: the process's namespace)
// listening on every TCP address in tcpAddrs and every UDP address in
// udpAddrs ("198.18.0.100:80", "[fd00:18::100]:80"). name must not contain
// a newline. Close stops it.
func Serve(ns *netlab.NS, name string, tcpAddrs, udpAddrs []string) (*Server, error) {
	return serve(ns, name, tcpAddrs, udpAddrs, false)
}

// serve is [Serve], or [ServeProxy] with proxy.
func serve(ns *netlab.NS, name string, tcpAddrs, udpAddrs []string, proxy bool) (*Server, error) {
	if name == "" || len(name) > 64 || containsNewline(name) {
		return nil, fmt.Errorf("labtraffic: invalid server name %q", name)
	}
	s := &Server{name: name, proxy: proxy, conns: map[net.Conn]struct{}{}}
	for _, a := range tcpAddrs {
		ln, err := ns.ListenTCP(a)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.tcp = append(s.tcp, ln)
	}
	for _, a := range udpAddrs {
		c, err := ns.ListenUDP(a)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.udp = append(s.udp, c)
	}
	for _, ln := range s.tcp {
		s.serving.Add(1)
		go s.acceptLoop(ln)
	}
	for _, c := range s.udp {
		s.serving.Add(1)
		go s.udpLoop(c)
	}
	return s, nil
}

// Name returns the server's name.
func (s *Server) Name() string { return s.name }

// TCPAddrs returns the addresses the TCP listeners are bound to.
func (s *Server) TCPAddrs() []string {
	var a []string
	for _, ln := range s.tcp {
		a = append(a, ln.Addr().String())
	}
	return a
}

// UDPAddrs returns the addresses the UDP sockets are bound to.
func (s *Server) UDPAddrs() []string {
	var a []string
	for _, c := range s.udp {
		a = append(a, c.LocalAddr().String())
	}
	return a
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Name:         s.name,
		TCPConns:     s.tcpConns.Load(),
		TCPBytesIn:   s.tcpBytesIn.Load(),
		TCPBytesOut:  s.tcpBytesOut.Load(),
		UDPDatagrams: s.udpDatagrams.Load(),
		UDPBytesIn:   s.udpBytesIn.Load(),
	}
}

// Close stops the listeners, closes open connections and waits for the
// server goroutines to finish. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var errs []error
	for _, ln := range s.tcp {
		errs = append(errs, ln.Close())
	}
	for _, c := range s.udp {
		errs = append(errs, c.Close())
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.serving.Wait()
	return errors.Join(errs...)
}

func (s *Server) acceptLoop(ln *net.TCPListener) {
	defer s.serving.Done()
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.serving.Add(1)
		s.mu.Unlock()
		s.tcpConns.Add(1)
		go s.serveTCP(c)
	}
}

// serveTCP sends the name line and echoes until EOF.
func (s *Server) serveTCP(c *net.TCPConn) {
	defer s.serving.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	_ = c.SetDeadline(time.Now().Add(connTimeout))
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		s.log.peer(ap.Addr())
	}
	if s.proxy {
		h, err := readProxyV2(c)
		if err != nil {
			s.log.proxyError()
			return
		}
		s.log.client(h.Src.Addr())
	}
	n, err := io.WriteString(c, s.name+"\n")
	s.tcpBytesOut.Add(int64(n))
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := c.Read(buf)
		if n > 0 {
			s.tcpBytesIn.Add(int64(n))
			w, werr := c.Write(buf[:n])
			s.tcpBytesOut.Add(int64(w))
			if werr != nil {
				return
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				_ = c.CloseWrite()
			}
			return
		}
	}
}

// udpLoop answers each datagram with the name line and the datagram.
func (s *Server) udpLoop(c *net.UDPConn) {
	defer s.serving.Done()
	buf := make([]byte, 64<<10)
	prefix := len(s.name) + 1
	copy(buf, s.name+"\n")
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf[prefix:])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		s.log.peer(from.Addr())
		if s.proxy {
			h, hl, err := ParseProxyV2(buf[prefix : prefix+n])
			if err != nil {
				s.log.proxyError()
				continue
			}
			s.log.client(h.Src.Addr())
			n = copy(buf[prefix:], buf[prefix+hl:prefix+n])
		}
		s.udpDatagrams.Add(1)
		s.udpBytesIn.Add(int64(n))
		_, _ = c.WriteToUDPAddrPort(buf[:prefix+n], from)
	}
}

func containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return true
		}
	}
	return false
}
