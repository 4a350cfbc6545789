package labtraffic

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// peerRecorder is an echo server in the lab's protocol on 127.0.0.1 that
// records the source addresses of its clients.
type peerRecorder struct {
	mu    sync.Mutex
	peers map[string]int // "tcp 127.0.0.3" -> round-trips
}

func (p *peerRecorder) saw(proto string, a net.Addr) {
	ap := netip.MustParseAddrPort(a.String())
	p.mu.Lock()
	p.peers[proto+" "+ap.Addr().String()]++
	p.mu.Unlock()
}

func startPeerRecorder(t *testing.T) (*peerRecorder, string, string) {
	t.Helper()
	p := &peerRecorder{peers: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); uc.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.saw("tcp", c.RemoteAddr())
			go func() {
				defer c.Close()
				io.WriteString(c, "rec\n")
				io.Copy(c, c)
			}()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := uc.ReadFrom(buf[4:])
			if err != nil {
				return
			}
			p.saw("udp", from)
			copy(buf, "rec\n")
			uc.WriteTo(buf[:4+n], from)
		}
	}()
	return p, ln.Addr().String(), uc.LocalAddr().String()
}

// TestPlanSourceIsTheClientAddress: with Plan.Source every TCP connection
// and UDP datagram leaves from that address, as several clients sharing a
// namespace need (persistence is per client address).
func TestPlanSourceIsTheClientAddress(t *testing.T) {
	p, tcp, udp := startPeerRecorder(t)
	src := netip.MustParseAddr("127.0.0.3")
	rep := Run(context.Background(), nil, Plan{TCP: []string{tcp}, UDP: []string{udp}, Conns: 3, Datagrams: 4, Bytes: 1000, Source: src})
	if !rep.OK() {
		t.Fatalf("report not OK:\n%s", rep)
	}
	rep = Run(context.Background(), nil, Plan{TCP: []string{tcp}, Conns: 2, Bytes: 10})
	if !rep.OK() {
		t.Fatalf("report without a source not OK:\n%s", rep)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]int{"tcp 127.0.0.3": 3, "udp 127.0.0.3": 4, "tcp 127.0.0.1": 2}
	for k, v := range want {
		if p.peers[k] != v {
			t.Errorf("server saw %v, want %v", p.peers, want)
			break
		}
	}
}
