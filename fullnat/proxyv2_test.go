package fullnat

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// parseProxyV2 reads a PROXY v2 header as a real server's parser does
// (signature, version, command, family, length, addresses) and returns the
// source and destination it carries and the header size.
func parseProxyV2(t *testing.T, b []byte) (src, dst netip.AddrPort, proto string, size int) {
	t.Helper()
	if len(b) < 16 || !bytes.Equal(b[:12], proxyV2Sig[:]) || b[12] != 0x21 {
		t.Fatalf("no PROXY v2 header: % x", b[:min(len(b), 16)])
	}
	n := int(binary.BigEndian.Uint16(b[14:]))
	if len(b) < 16+n {
		t.Fatalf("header length %d beyond the data", n)
	}
	a := b[16:]
	proto = map[byte]string{1: "tcp", 2: "udp"}[b[13]&0x0f]
	switch b[13] >> 4 {
	case 1:
		src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:])), binary.BigEndian.Uint16(a[8:]))
		dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:])), binary.BigEndian.Uint16(a[10:]))
	case 2:
		src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:])), binary.BigEndian.Uint16(a[32:]))
		dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:])), binary.BigEndian.Uint16(a[34:]))
	default:
		t.Fatalf("family byte %#x", b[13])
	}
	return src, dst, proto, 16 + n
}

func TestEncodeProxyV2(t *testing.T) {
	tests := []struct {
		h     ProxyV2
		size  int
		proto string
	}{
		{ProxyV2{Proto: header.IPProtoTCP, Family: 4, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 40000, DstPort: 80}, 28, "tcp"},
		{ProxyV2{Proto: header.IPProtoUDP, Family: 4, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 40000, DstPort: 53}, 28, "udp"},
		{ProxyV2{Proto: header.IPProtoTCP, Family: 6, Src: cip6.As16(), Dst: vip6.As16(), SrcPort: 40000, DstPort: 443}, 52, "tcp"},
		{ProxyV2{Proto: header.IPProtoUDP, Family: 6, Src: cip6.As16(), Dst: vip6.As16(), SrcPort: 1, DstPort: 2}, 52, "udp"},
	}
	for _, tt := range tests {
		buf := make([]byte, ProxyV2MaxSize+4)
		n := EncodeProxyV2(buf, &tt.h)
		if n != tt.size {
			t.Fatalf("%+v: size %d, want %d", tt.h, n, tt.size)
		}
		src, dst, proto, size := parseProxyV2(t, buf[:n])
		if size != n || proto != tt.proto ||
			src != netip.AddrPortFrom(netip.AddrFrom16(tt.h.Src).Unmap(), tt.h.SrcPort) ||
			dst != netip.AddrPortFrom(netip.AddrFrom16(tt.h.Dst).Unmap(), tt.h.DstPort) {
			t.Errorf("%+v: parsed back %v %v %s %d", tt.h, src, dst, proto, size)
		}
	}
	// The fixed bytes of a TCP4 header, from the specification's layout.
	buf := make([]byte, 64)
	EncodeProxyV2(buf, &tests[0].h)
	want := []byte{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
		198, 18, 1, 7, 198, 18, 0, 100, 0x9c, 0x40, 0x00, 0x50}
	if !bytes.Equal(buf[:28], want) {
		t.Errorf("TCP4 header\n got % x\nwant % x", buf[:28], want)
	}
	for _, bad := range []ProxyV2{{Proto: header.IPProtoTCP, Family: 5}, {Proto: 132, Family: 4}} {
		if n := EncodeProxyV2(buf, &bad); n != 0 {
			t.Errorf("%+v: %d, want 0", bad, n)
		}
	}
	if n := EncodeProxyV2(buf[:51], &tests[2].h); n != 0 {
		t.Errorf("short buffer: %d, want 0", n)
	}
}

// conn drives ProxyInbound and AdjustOutbound like the engine would for
// one connection, and reassembles the stream the real server receives.
type conn struct {
	t      *testing.T
	v6     bool
	st     SeqState
	hdr    []byte
	stream map[uint32]byte // server's view: sequence number → byte
}

func newConn(t *testing.T, v6 bool) *conn {
	c := &conn{t: t, v6: v6, stream: map[uint32]byte{}}
	h := ProxyV2{Proto: header.IPProtoTCP, Family: 4, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 40000, DstPort: 80}
	if v6 {
		h = ProxyV2{Proto: header.IPProtoTCP, Family: 6, Src: cip6.As16(), Dst: vip6.As16(), SrcPort: 40000, DstPort: 80}
	}
	buf := make([]byte, ProxyV2MaxSize)
	c.hdr = buf[:EncodeProxyV2(buf, &h)]
	return c
}

func (c *conn) builder() testpkt.Builder {
	if c.v6 {
		return toRS6()
	}
	return toRS4()
}

// in sends a client segment through ProxyInbound; on Done it records the
// payload at its (rewritten) sequence numbers as the server would.
func (c *conn) in(flags uint8, seq uint32, data string) Result {
	c.t.Helper()
	frame, n, m := room(c.t, c.builder().TCP(40000, 80, flags).Seq(seq).Ack(5000).TCPOptions(timestamps).Payload([]byte(data)).Bytes())
	n2, r := ProxyInbound(frame, n, m, &c.st, c.hdr, 1500)
	if r != Done {
		if n2 != n {
			c.t.Fatalf("refused segment changed length %d → %d", n, n2)
		}
		return r
	}
	reparse(c.t, frame, n2, m)
	testpkt.Check(c.t, frame[:n2], testpkt.ValidChecksums())
	seg := tcpOf(frame, n2, m)
	for i, b := range seg.Payload() {
		s := seg.SequenceNumber() + uint32(i)
		if old, dup := c.stream[s]; dup && old != b {
			c.t.Fatalf("server got byte %#x at %d, then %#x: corrupted stream", old, s, b)
		}
		c.stream[s] = b
	}
	return r
}

// read returns the server's contiguous stream from first.
func (c *conn) read(first uint32) []byte {
	var out []byte
	for s := first; ; s++ {
		b, ok := c.stream[s]
		if !ok {
			return out
		}
		out = append(out, b)
	}
}

// out sends a server segment with ack and SACK blocks through
// AdjustOutbound and returns what the client sees.
func (c *conn) out(ack uint32, sack ...uint32) (uint32, []uint32) {
	c.t.Helper()
	opts := []byte{1, 1}
	if len(sack) > 0 {
		opts = append(opts, optSACK, byte(2+4*len(sack)))
		for _, v := range sack {
			opts = binary.BigEndian.AppendUint32(opts, v)
		}
	}
	b := testpkt.Eth(macB, macA).IPv4(rip4, lip4)
	if c.v6 {
		b = testpkt.Eth(macB, macA).IPv6(rip6, lip6)
	}
	frame, n, m := room(c.t, b.TCP(80, 40000, packet.TCPAck).Seq(5000).Ack(ack).Window(1000).TCPOptions(opts).Bytes())
	if r := AdjustOutbound(frame, n, m, &c.st); r != Done {
		c.t.Fatalf("AdjustOutbound = %v", r)
	}
	testpkt.Check(c.t, frame[:n], testpkt.ValidChecksums())
	seg := tcpOf(frame, n, m)
	if seg.WindowSize() != 1000 {
		c.t.Errorf("window changed to %d", seg.WindowSize())
	}
	var got []uint32
	for i := range sack {
		got = append(got, binary.BigEndian.Uint32(seg.Options()[4+4*i:]))
	}
	return seg.AckNumber(), got
}

func TestProxyV2Stream(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		c := newConn(t, v6)
		d := uint32(len(c.hdr))
		const isn = 0xfffffff0 // the stream wraps around 2^32
		first := uint32(isn + 1)
		steps := []struct {
			flags uint8
			seq   uint32
			data  string
			want  Result
		}{
			{packet.TCPAck, first, "", NotApplicable},       // before the SYN
			{packet.TCPSyn, isn, "", Done},                  // records the start
			{packet.TCPAck, first, "", Done},                // handshake ACK: nothing to move
			{packet.TCPAck, first + 6, "world", OutOfOrder}, // first payload missing
			{packet.TCPAck, first, "hello ", Done},          // header goes in
			{packet.TCPAck, first, "hello ", Done},          // retransmission: same bytes
			{packet.TCPAck, first + 6, "world", Done},       // shifted
			{packet.TCPAck | packet.TCPFin, first + 11, "", Done},
			{packet.TCPAck, first - 1, "", Done}, // keepalive before the stream
			{packet.TCPSyn, isn, "data", SynData},
		}
		for i, s := range steps {
			if r := c.in(s.flags, s.seq, s.data); r != s.want {
				t.Fatalf("v6=%v step %d: %v, want %v", v6, i, r, s.want)
			}
		}
		got := c.read(first)
		src, _, _, size := parseProxyV2(t, got)
		if size != int(d) || string(got[size:]) != "hello world" {
			t.Errorf("v6=%v: server reads header of %d bytes then %q", v6, size, got[size:])
		}
		if wantSrc := map[bool]netip.Addr{false: cip4, true: cip6}[v6]; src.Addr() != wantSrc || src.Port() != 40000 {
			t.Errorf("PROXY source %v", src)
		}

		// The server acknowledges and SACKs in its view; the client
		// sees its own.
		tests := []struct {
			ack      uint32
			sack     []uint32
			wantAck  uint32
			wantSack []uint32
		}{
			{first, nil, first, nil},               // handshake: nothing to move
			{first + 10, nil, first, nil},          // inside the header
			{first + d + 11, nil, first + 11, nil}, // everything
			{first + d + 1, []uint32{first + d + 6, first + d + 11}, first + 1, []uint32{first + 6, first + 11}},
			{isn - 100, []uint32{isn - 50, isn - 40}, isn - 100, []uint32{isn - 50, isn - 40}}, // before the stream
		}
		for _, tt := range tests {
			ack, sack := c.out(tt.ack, tt.sack...)
			if ack != tt.wantAck || !equalU32(sack, tt.wantSack) {
				t.Errorf("v6=%v: ack %d sack %v → %d %v, want %d %v", v6, tt.ack, tt.sack, ack, sack, tt.wantAck, tt.wantSack)
			}
		}
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProxyInboundRefusals(t *testing.T) {
	c := newConn(t, false)
	c.in(packet.TCPSyn, 99, "")
	// A first segment that cannot take the header under the MTU.
	frame, n, m := room(t, toRS4().TCP(40000, 80, packet.TCPAck).Seq(100).Payload(make([]byte, 1460)).Bytes())
	if _, r := ProxyInbound(frame, n, m, &c.st, c.hdr, 1500); r != TooBig {
		t.Errorf("full-size first segment: %v, want too-big", r)
	}
	if _, r := ProxyInbound(frame[:n+10], n, m, &c.st, c.hdr, 0); r != NoRoom {
		t.Errorf("no room: %v, want no-room", r)
	}
	if c.st.Inserted() {
		t.Error("a refused insertion marked the header inserted")
	}
	// A segment spanning the start of the stream.
	if r := c.in(packet.TCPAck, 98, "xyz"); r != OutOfOrder {
		t.Errorf("spanning the start: %v, want out-of-order", r)
	}
	// A header of odd length, or none.
	frame, n, m = room(t, toRS4().TCP(40000, 80, packet.TCPAck).Seq(100).Payload([]byte("a")).Bytes())
	for _, h := range [][]byte{nil, c.hdr[:27]} {
		if _, r := ProxyInbound(frame, n, m, &c.st, h, 0); r != Malformed {
			t.Errorf("header of %d bytes: %v", len(h), r)
		}
	}
	// A UDP datagram.
	frame, n, m = room(t, toRS4().UDP(40000, 80).Bytes())
	if _, r := ProxyInbound(frame, n, m, &c.st, c.hdr, 0); r != Malformed {
		t.Errorf("udp: %v", r)
	}
	if r := AdjustOutbound(frame, n, m, &c.st); r != Malformed {
		t.Errorf("AdjustOutbound on udp: %v", r)
	}
}

func TestInsertProxyV2UDP(t *testing.T) {
	for _, tt := range []struct {
		b      testpkt.Builder
		family uint8
		zero   bool
	}{
		{toRS4(), 4, false}, {toRS4(), 4, true}, {toRS6(), 6, false},
	} {
		h := ProxyV2{Proto: header.IPProtoUDP, Family: tt.family, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 5353, DstPort: 53}
		if tt.family == 6 {
			h.Src, h.Dst = cip6.As16(), vip6.As16()
		}
		hdr := make([]byte, ProxyV2MaxSize)
		hdr = hdr[:EncodeProxyV2(hdr, &h)]
		b := tt.b.UDP(5353, 53).Payload([]byte("query!!"))
		if tt.zero {
			b = b.L4Checksum(0)
		}
		frame, n, m := room(t, b.Bytes())
		n2, r := InsertProxyV2UDP(frame, n, m, hdr, 1500)
		if r != Done {
			t.Fatalf("InsertProxyV2UDP = %v", r)
		}
		reparse(t, frame, n2, m)
		testpkt.Check(t, frame[:n2], testpkt.ValidChecksums(), testpkt.Payload(append(append([]byte(nil), hdr...), "query!!"...)))
		u := header.UDP(frame[m.L4Off:n2])
		if tt.zero && u.Checksum() != 0 {
			t.Errorf("zero checksum became %#x", u.Checksum())
		}
		src, _, proto, _ := parseProxyV2(t, u.Payload())
		if proto != "udp" || src.Port() != 5353 {
			t.Errorf("header says %s from %v", proto, src)
		}
	}
	frame, n, m := room(t, toRS4().UDP(1, 2).Payload(make([]byte, 1472)).Bytes())
	if _, r := InsertProxyV2UDP(frame, n, m, make([]byte, 28), 1500); r != TooBig {
		t.Errorf("full datagram: %v", r)
	}
}
