package main

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// pktCapture is an AF_PACKET socket receiving every frame of one interface
// of a namespace, as tcpdump would.
type pktCapture struct{ fd int }

func startPktCapture(t *testing.T, ns *netlab.NS, dev string) *pktCapture {
	t.Helper()
	link, err := ns.Link(dev)
	if err != nil {
		t.Fatal(err)
	}
	c := &pktCapture{fd: -1}
	err = ns.Do(func() error {
		fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
		if err != nil {
			return err
		}
		c.fd = fd
		return syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: link.Attrs().Index})
	})
	if c.fd >= 0 {
		t.Cleanup(func() { syscall.Close(c.fd) })
	}
	if err != nil {
		t.Fatalf("AF_PACKET socket on %s: %v", dev, err)
	}
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return c
}

// toa is what a TOA option (kind 254) of a captured segment says.
type toa struct {
	client netip.AddrPort
	dport  uint16 // the segment's destination port
	flags  uint8
}

// nextTOA reads frames until a TCP segment to port dport carrying a TOA
// option arrives, or until limit; it parses the option as the Linux TOA
// module does (port, then the IPv4 address; DPVS's 20-byte form for IPv6).
func (c *pktCapture) nextTOA(dport uint16, limit time.Duration) (toa, bool) {
	buf := make([]byte, 65536)
	for end := time.Now().Add(limit); time.Now().Before(end); {
		n, _, err := syscall.Recvfrom(c.fd, buf, 0)
		if err != nil || n < 14 {
			continue
		}
		if got, ok := parseTOA(buf[:n], dport); ok {
			return got, true
		}
	}
	return toa{}, false
}

func parseTOA(f []byte, dport uint16) (toa, bool) {
	var l4 []byte
	switch binary.BigEndian.Uint16(f[12:]) {
	case 0x0800:
		ip := f[14:]
		if len(ip) < 20 || ip[9] != syscall.IPPROTO_TCP {
			return toa{}, false
		}
		l4 = ip[int(ip[0]&0xf)*4:]
	case 0x86dd:
		ip := f[14:]
		if len(ip) < 40 || ip[6] != syscall.IPPROTO_TCP {
			return toa{}, false
		}
		l4 = ip[40:]
	default:
		return toa{}, false
	}
	if len(l4) < 20 || binary.BigEndian.Uint16(l4[2:]) != dport {
		return toa{}, false
	}
	off := int(l4[12]>>4) * 4
	if off < 20 || off > len(l4) {
		return toa{}, false
	}
	opts := l4[20:off]
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0:
			return toa{}, false
		case 1:
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return toa{}, false
		}
		o := opts[i : i+int(opts[i+1])]
		if o[0] == 254 {
			port := binary.BigEndian.Uint16(o[2:])
			switch len(o) {
			case 8:
				return toa{netip.AddrPortFrom(netip.AddrFrom4([4]byte(o[4:8])), port), dport, l4[13]}, true
			case 20:
				return toa{netip.AddrPortFrom(netip.AddrFrom16([16]byte(o[4:20])), port), dport, l4[13]}, true
			}
		}
		i += len(o)
	}
	return toa{}, false
}

// TestFullNATClientAddressTOA: a real server that captures the segments
// it receives finds a TOA option in the segment that completes the
// handshake, and the option holds the client's real address and port,
// for IPv4 and IPv6 clients; the connection works as usual.
func TestFullNATClientAddressTOA(t *testing.T) {
	h, fn := newFullNATHarness(t, "fntoa", labtraffic.NATOptions{RealServers: 1, Queues: 2})
	d := h.startDirector("--interface", "eth1")
	capt := startPktCapture(t, fn.RS[0], "eth0")
	for _, vip := range []netip.Addr{labtraffic.VIP4, labtraffic.VIP6} {
		rip := labtraffic.NATRSAddr4(0)
		if vip.Is6() {
			rip = labtraffic.NATRSAddr6(0)
		}
		serveRemoteEcho(t, fn.RS[0], ap(rip, 8081))
		svc := ap(vip, 81)
		h.adm("-A", "-t", svc, "-s", "rr", "--toa")
		h.adm("-a", "-t", svc, "-r", ap(rip, 8081), "-b")
		h.adm("-P", "-t", svc, "-z", lipOf(vip).String())
		for i := 0; i < 3; i++ {
			c := dialEcho(t, fn.Client, svc)
			local := netip.MustParseAddrPort(c.c.LocalAddr().String())
			if c.peer.Addr() != lipOf(vip) {
				t.Fatalf("%s: the real server's socket sees %v, want the local address", svc, c.peer)
			}
			// Segments of earlier connections at the start of their
			// streams (ACKs of the greeting) carry their own TOA: skip
			// them (IPv4 ones may still be queued when the IPv6 part
			// starts), but each must name the client.
			for {
				got, ok := capt.nextTOA(8081, 5*time.Second)
				if !ok {
					t.Fatalf("%s: no segment with a TOA naming %v reached the real server", svc, local)
				}
				if a := got.client.Addr(); a != labtraffic.ClientAddr4 && a != labtraffic.ClientAddr6 {
					t.Fatalf("%s: TOA says client %v, want %v", svc, got.client, local)
				}
				if got.flags&0x12 != 0x10 { // ACK without SYN: the handshake's ACK or the first data
					t.Fatalf("%s: TOA in a segment with flags %#x", svc, got.flags)
				}
				if got.client == local {
					break
				}
			}
			c.roundTrip(t, "with toa")
		}
	}
	c := h.counters()
	if c["fullnat-toa-inserted"] < 6 || c["fullnat-toa-skipped"] != 0 {
		t.Errorf("fullnat-toa-inserted %d (want ≥ 6), fullnat-toa-skipped %d", c["fullnat-toa-inserted"], c["fullnat-toa-skipped"])
	}
	d.stop()
}
