package labtraffic

import (
	"maps"
	"net/netip"
	"sync"
)

// peerLog records whom a server heard from: the source addresses of its
// TCP connections and UDP datagrams (what the network delivered), and in
// PROXY mode the clients the headers named.
type peerLog struct {
	mu        sync.Mutex
	peers     map[netip.Addr]int
	clients   map[netip.Addr]int
	proxyErrs int
}

func (l *peerLog) peer(a netip.Addr) {
	l.mu.Lock()
	if l.peers == nil {
		l.peers = map[netip.Addr]int{}
	}
	l.peers[a.Unmap()]++
	l.mu.Unlock()
}

func (l *peerLog) client(a netip.Addr) {
	l.mu.Lock()
	if l.clients == nil {
		l.clients = map[netip.Addr]int{}
	}
	l.clients[a.Unmap()]++
	l.mu.Unlock()
}

func (l *peerLog) proxyError() {
	l.mu.Lock()
	l.proxyErrs++
	l.mu.Unlock()
}

// Peers returns, by source address, how many TCP connections and UDP
// datagrams the server received from it: the addresses the network
// delivered, which behind a FULLNAT director are its local addresses.
func (s *Server) Peers() map[netip.Addr]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return maps.Clone(s.log.peers)
}

// ProxyClients returns, by client address, how many TCP connections and
// UDP datagrams a [ServeProxy] server was told about by PROXY v2 headers
// (nil for a plain server).
func (s *Server) ProxyClients() map[netip.Addr]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return maps.Clone(s.log.clients)
}

// ProxyErrors returns how many connections and datagrams a [ServeProxy]
// server dropped for want of a valid PROXY v2 header.
func (s *Server) ProxyErrors() int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.proxyErrs
}
