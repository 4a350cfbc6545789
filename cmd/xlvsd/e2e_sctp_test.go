package main

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// The kernels here have no SCTP module (socket(AF_INET, SOCK_STREAM,
// IPPROTO_SCTP) fails with EPROTONOSUPPORT), so the SCTP end-to-end test
// plays both endpoints with raw IP sockets of protocol 132: the client
// and the real server send hand-built SCTP packets (correct CRC32c) and
// read what arrives. A raw socket also keeps the kernel from answering
// protocol 132 with "protocol unreachable".

// rawSCTP is a raw IPPROTO_SCTP socket in a namespace.
type rawSCTP struct {
	fd int
	v6 bool
}

func openRawSCTP(t *testing.T, ns *netlab.NS, v6 bool) *rawSCTP {
	t.Helper()
	r := &rawSCTP{fd: -1, v6: v6}
	err := ns.Do(func() error {
		fam := syscall.AF_INET
		if v6 {
			fam = syscall.AF_INET6
		}
		fd, err := syscall.Socket(fam, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, header.IPProtoSCTP)
		r.fd = fd
		return err
	})
	if r.fd >= 0 {
		t.Cleanup(func() { syscall.Close(r.fd) })
	}
	if err != nil {
		t.Fatalf("raw SCTP socket in %s: %v", ns, err)
	}
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(r.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return r
}

// sctpPacket builds an SCTP packet with the chunks and its CRC32c.
func sctpPacket(sport, dport uint16, vtag uint32, chunks ...header.SCTPChunk) []byte {
	b := []byte{byte(sport >> 8), byte(sport), byte(dport >> 8), byte(dport), byte(vtag >> 24), byte(vtag >> 16), byte(vtag >> 8), byte(vtag), 0, 0, 0, 0}
	for _, c := range chunks {
		b = header.AppendSCTPChunk(b, c)
	}
	p := header.SCTP(b)
	p.SetChecksum(p.CalculateChecksum())
	return b
}

func (r *rawSCTP) send(t *testing.T, to netip.Addr, pkt []byte) {
	t.Helper()
	var sa syscall.Sockaddr = &syscall.SockaddrInet6{Addr: to.As16()}
	if !r.v6 {
		sa = &syscall.SockaddrInet4{Addr: to.As4()}
	}
	if err := syscall.Sendto(r.fd, pkt, 0, sa); err != nil {
		t.Fatalf("send SCTP to %v: %v", to, err)
	}
}

// recv returns the next SCTP packet (common header onwards) from src to
// dport within 10s, with its source address.
func (r *rawSCTP) recv(t *testing.T, dport uint16) (netip.Addr, header.SCTP) {
	t.Helper()
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, from, err := syscall.Recvfrom(r.fd, buf, 0)
		if err != nil {
			continue
		}
		pkt := buf[:n]
		var src netip.Addr
		switch sa := from.(type) {
		case *syscall.SockaddrInet4:
			src = netip.AddrFrom4(sa.Addr)
			pkt = pkt[int(pkt[0]&0x0f)*4:] // IPv4 raw sockets deliver the IP header
		case *syscall.SockaddrInet6:
			src = netip.AddrFrom16(sa.Addr)
		}
		if len(pkt) >= header.SCTPMinimumSize+header.SCTPChunkHeaderSize && header.SCTP(pkt).DestinationPort() == dport {
			return src, header.SCTP(bytes.Clone(pkt))
		}
	}
	t.Fatalf("no SCTP packet to port %d within 10s", dport)
	return netip.Addr{}, nil
}

// connState returns the state ipvsadm -L -c -n shows for the SCTP
// connection from client port cport, or "" when it lists none.
func (h *harness) connState(cport uint16) string {
	h.t.Helper()
	for _, line := range strings.Split(h.adm("-L", "-c", "-n"), "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "SCTP" && strings.HasSuffix(f[3], ":"+strconv.Itoa(int(cport))) {
			return f[2]
		}
	}
	return ""
}

// waitNextHop waits until xlvsd's log says the next hop of addr is
// resolved (the model resolves real servers' next hops asynchronously).
func (d *director) waitNextHop(t *testing.T, addr netip.Addr) {
	t.Helper()
	waitFor(t, 10*time.Second, func() (bool, string) {
		for _, line := range strings.Split(d.log.String(), "\n") {
			if strings.Contains(line, `msg="next hop changed" addr=`+addr.String()+" ") && strings.Contains(line, "resolved=true") {
				return true, ""
			}
		}
		return false, "the next hop of " + addr.String() + " is not resolved"
	})
	// The resolver logs before the model republishes the snapshot and the
	// workers load it (within a batch, or 1 ms when idle).
	time.Sleep(100 * time.Millisecond)
}

// TestSCTPNATEndToEnd: an SCTP association through xlvsd's NAT, IPv4 and
// IPv6, the virtual port 3868 mapped to 13868: the handshake, data both
// ways and the client's shutdown, played by raw sockets on the client and
// the real server. Every packet arrives with its chunks intact and a valid
// CRC32c, replies come from the VIP:3868, and ipvsadm -L -c shows IPVS's
// SCTP states; the real server is an active connection while ESTABLISHED.
func TestSCTPNATEndToEnd(t *testing.T) {
	h, nat := newNATHarness(t, "sctp", labtraffic.NATOptions{RealServers: 1})
	d := h.startDirector("--interface", "eth1")
	for _, v6 := range []bool{false, true} {
		vip, rs, cl := labtraffic.VIP4, labtraffic.NATRSAddr4(0), labtraffic.ClientAddr4
		if v6 {
			vip, rs, cl = labtraffic.VIP6, labtraffic.NATRSAddr6(0), labtraffic.ClientAddr6
		}
		h.adm("-A", "--sctp-service", ap(vip, 3868), "-s", "rr")
		h.adm("-a", "--sctp-service", ap(vip, 3868), "-r", ap(rs, 13868), "-m")
		// A dropped INIT would leave INIT1 behind and its resend make it
		// INIT: send the first one once the real server is reachable.
		d.waitNextHop(t, rs)
		client, server := openRawSCTP(t, nat.Client, v6), openRawSCTP(t, nat.RS[0], v6)
		cport := uint16(5000)
		if v6 {
			cport = 5006
		}
		value := func(s string) []byte { return append(make([]byte, 16), s...) }
		steps := []struct {
			name  string
			reply bool
			chunk header.SCTPChunk
			state string
		}{
			{"INIT", false, header.SCTPChunk{Type: header.SCTPChunkInit, Value: value("init")}, "INIT1"},
			{"INIT ACK", true, header.SCTPChunk{Type: header.SCTPChunkInitAck, Value: value("init-ack+cookie")}, "C-SENT"},
			{"COOKIE ECHO", false, header.SCTPChunk{Type: header.SCTPChunkCookieEcho, Value: value("cookie")}, "C-REPLIED"},
			{"COOKIE ACK", true, header.SCTPChunk{Type: header.SCTPChunkCookieAck}, "ESTABLISHED"},
			{"DATA in", false, header.SCTPChunk{Type: header.SCTPChunkData, Flags: 3, Value: value("hello, server")}, "ESTABLISHED"},
			{"DATA out", true, header.SCTPChunk{Type: header.SCTPChunkData, Flags: 3, Value: value("hello, client")}, "ESTABLISHED"},
			{"SHUTDOWN", false, header.SCTPChunk{Type: header.SCTPChunkShutdown, Value: make([]byte, 4)}, "S-RECEIVED"},
			{"SHUTDOWN ACK", true, header.SCTPChunk{Type: header.SCTPChunkShutdownAck}, "S-ACK-SENT"},
			{"SHUTDOWN COMPLETE", false, header.SCTPChunk{Type: header.SCTPChunkShutdownComplete}, "CLOSED"},
		}
		for _, st := range steps {
			want := header.AppendSCTPChunk(nil, st.chunk)
			if st.reply {
				server.send(t, cl, sctpPacket(13868, cport, 0x5e5e5e5e, st.chunk))
				src, got := client.recv(t, cport)
				if src != vip || got.SourcePort() != 3868 || !got.IsChecksumValid() || !bytes.Equal(got[12:], want) {
					t.Fatalf("%v %s: the client got from %v port %d, checksum valid %v, chunks % x; want from %v:3868 % x",
						vip, st.name, src, got.SourcePort(), got.IsChecksumValid(), got[12:], vip, want)
				}
			} else {
				client.send(t, vip, sctpPacket(cport, 3868, 0xc1c1c1c1, st.chunk))
				src, got := server.recv(t, 13868)
				if src != cl || got.SourcePort() != cport || !got.IsChecksumValid() || !bytes.Equal(got[12:], want) {
					t.Fatalf("%v %s: the real server got from %v port %d, checksum valid %v, chunks % x; want from %v:%d % x",
						vip, st.name, src, got.SourcePort(), got.IsChecksumValid(), got[12:], cl, cport, want)
				}
			}
			if got := h.connState(cport); got != st.state {
				t.Errorf("%v after %s: ipvsadm -L -c shows %q, want %s", vip, st.name, got, st.state)
			}
			if st.name == "DATA out" {
				list := h.adm("-L", "-n", "--sctp-service", ap(vip, 3868))
				if !strings.Contains(list, "Masq    1      1          0") {
					t.Errorf("%v ESTABLISHED: the real server is not one active connection:\n%s", vip, list)
				}
			}
		}
		// A packet that is not an INIT starts nothing.
		before := h.counters()["drop-sctp-not-init"]
		client.send(t, vip, sctpPacket(cport+1, 3868, 1, header.SCTPChunk{Type: header.SCTPChunkData, Value: value("stray")}))
		waitFor(t, 10*time.Second, func() (bool, string) {
			return h.counters()["drop-sctp-not-init"] > before, "the stray DATA chunk was not counted as sctp-not-init"
		})
	}
	c := h.counters()
	if c["xdp-steer-nat-reply"] == 0 {
		t.Errorf("the XDP program steered no SCTP reply")
	}
	checkFrameAccounting(t, d.stop(), 1)
}
