package labtraffic

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"net"
	"net/netip"
	"testing"
	"time"
)

// proxyV2 builds a PROXY v2 header (PROXY command) for src → dst over TCP
// or UDP, with tlv appended.
func proxyV2(src, dst netip.AddrPort, udp bool, tlv []byte) []byte {
	b := append([]byte{}, proxySig[:]...)
	fam := byte(0x10)
	if src.Addr().Is6() {
		fam = 0x20
	}
	if udp {
		fam |= 2
	} else {
		fam |= 1
	}
	b = append(b, 0x21, fam, 0, 0)
	b = append(b, src.Addr().AsSlice()...)
	b = append(b, dst.Addr().AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = append(b, tlv...)
	binary.BigEndian.PutUint16(b[14:], uint16(len(b)-16))
	return b
}

func TestParseProxyV2(t *testing.T) {
	c4, v4 := netip.MustParseAddrPort("198.18.0.2:40000"), netip.MustParseAddrPort("198.18.0.100:80")
	c6, v6 := netip.MustParseAddrPort("[fd00:18::2]:40001"), netip.MustParseAddrPort("[fd00:18::100]:53")
	for _, c := range []struct {
		name     string
		hdr      []byte
		src, dst netip.AddrPort
	}{
		{"tcp4", proxyV2(c4, v4, false, nil), c4, v4},
		{"udp6", proxyV2(c6, v6, true, nil), c6, v6},
		{"tcp4 with a TLV", proxyV2(c4, v4, false, []byte{0x04, 0x00, 0x02, 'n', 's'}), c4, v4},
	} {
		b := append(c.hdr, "payload"...)
		h, n, err := ParseProxyV2(b)
		if err != nil || h.Src != c.src || h.Dst != c.dst || h.Local || string(b[n:]) != "payload" {
			t.Errorf("%s: %+v, %d, %v; want %v → %v before the payload", c.name, h, n, err, c.src, c.dst)
		}
	}
	local := append(append([]byte{}, proxySig[:]...), 0x20, 0, 0, 0)
	if h, n, err := ParseProxyV2(local); err != nil || !h.Local || n != 16 {
		t.Errorf("LOCAL: %+v, %d, %v", h, n, err)
	}
	good := proxyV2(c4, v4, false, nil)
	for name, b := range map[string][]byte{
		"short":         good[:10],
		"no signature":  append([]byte("GET / HTTP/1.1\r\n"), good[16:]...),
		"truncated":     good[:len(good)-1],
		"version 1":     append(append(append([]byte{}, good[:12]...), 0x11), good[13:]...),
		"unix family":   append(append(append([]byte{}, good[:13]...), 0x31), good[14:]...),
		"short address": append(append(append([]byte{}, good[:14]...), 0, 4), good[16:20]...),
	} {
		if _, _, err := ParseProxyV2(b); !errors.Is(err, ErrProxyHeader) {
			t.Errorf("%s: %v, want ErrProxyHeader", name, err)
		}
	}
}

// TestServeProxyLearnsTheClient: a PROXY-aware server strips the header of
// each connection and datagram, records the client it names and the
// source the network delivered, and serves the rest as a plain one.
func TestServeProxyLearnsTheClient(t *testing.T) {
	s, err := ServeProxy(nil, "px", []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := netip.MustParseAddrPort("198.18.0.2:40000")
	vip := netip.MustParseAddrPort("198.18.0.100:80")

	c, err := net.Dial("tcp", s.TCPAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	data := payload(1, 5000)
	if _, err := c.Write(append(proxyV2(client, vip, false, nil), data...)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	r := bufio.NewReader(c)
	name, err := r.ReadString('\n')
	echo, _ := io.ReadAll(r)
	if err != nil || name != "px\n" || string(echo) != string(data) {
		t.Fatalf("tcp: name %q (%v), %d of %d bytes echoed exactly: %v", name, err, len(echo), len(data), string(echo) == string(data))
	}

	u, err := net.Dial("udp", s.UDPAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_ = u.SetDeadline(time.Now().Add(5 * time.Second))
	c6 := netip.MustParseAddrPort("[fd00:18::2]:40001")
	if _, err := u.Write(append(proxyV2(c6, netip.MustParseAddrPort("[fd00:18::100]:53"), true, nil), "query"...)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	n, err := u.Read(buf)
	if err != nil || string(buf[:n]) != "px\nquery" {
		t.Fatalf("udp answer %q, %v; want \"px\\nquery\"", buf[:n], err)
	}

	// No header: the connection is dropped and counted.
	bad, err := net.Dial("tcp", s.TCPAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.SetDeadline(time.Now().Add(5 * time.Second))
	bad.Write([]byte("no header here, just bytes"))
	bad.(*net.TCPConn).CloseWrite()
	if got, _ := io.ReadAll(bad); len(got) != 0 {
		t.Errorf("a connection without header got %q", got)
	}
	bad.Close()

	want := map[netip.Addr]int{client.Addr(): 1, c6.Addr(): 1}
	if got := s.ProxyClients(); !maps.Equal(got, want) {
		t.Errorf("ProxyClients %v, want %v", got, want)
	}
	if got := s.Peers(); !maps.Equal(got, map[netip.Addr]int{netip.MustParseAddr("127.0.0.1"): 3}) {
		t.Errorf("Peers %v, want 127.0.0.1 three times (two connections, one datagram)", got)
	}
	if s.ProxyErrors() != 1 {
		t.Errorf("ProxyErrors %d, want 1", s.ProxyErrors())
	}
	if st := s.Stats(); st.TCPBytesIn != int64(len(data)) || st.UDPBytesIn != 5 {
		t.Errorf("stats %+v: the headers must not count as the client's bytes", st)
	}
}
