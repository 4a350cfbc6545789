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

// readTOA finds the TOA option in a segment as a real server's TOA module
// does (the first option of kind 254) and returns the address and port.
func readTOA(t *testing.T, seg header.TCP) (netip.Addr, uint16) {
	t.Helper()
	opts := seg.Options()
	for i := 0; ; {
		kind, at, size, ok := nextOption(opts, i)
		if !ok {
			t.Fatal("no TOA option in the segment")
		}
		if kind == optTOA {
			port := binary.BigEndian.Uint16(opts[at+2:])
			switch size {
			case TOASizeIPv4:
				return netip.AddrFrom4([4]byte(opts[at+4:])), port
			case TOASizeIPv6:
				return netip.AddrFrom16([16]byte(opts[at+4:])), port
			}
			t.Fatalf("TOA option of length %d", size)
		}
		i = at + size
	}
}

var timestamps = []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2} // NOP NOP TS

func TestInsertTOA(t *testing.T) {
	payload := []byte("GET / HTTP/1.1\r\n\r\n")
	tests := []struct {
		name    string
		b       testpkt.Builder
		family  uint8
		client  netip.Addr
		optLen  int
		payload []byte
	}{
		{"ipv4 ack", toRS4().TCP(1025, 80, packet.TCPAck), 4, cip4, 0, nil},
		{"ipv4 data with timestamps", toRS4().TCP(1025, 80, packet.TCPAck|packet.TCPPsh).TCPOptions(timestamps).Payload(payload), 4, cip4, 12, payload},
		{"ipv4 odd payload", toRS4().TCP(1025, 80, packet.TCPAck).Payload([]byte("odd")), 4, cip4, 0, []byte("odd")},
		{"ipv4 vlan padded", testpkt.Eth(macA, macB).VLAN(7).IPv4(lip4, rip4).TCP(1025, 80, packet.TCPAck).Pad(6), 4, cip4, 0, nil},
		{"ipv6 ack", toRS6().TCP(1025, 80, packet.TCPAck), 6, cip6, 0, nil},
		{"ipv6 ext headers data", toRS6().IPv6Ext(header.IPProtoHopByHop, 8).TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Payload(payload), 6, cip6, 12, payload},
		{"ipv6 options 20 bytes", toRS6().TCP(1025, 80, packet.TCPAck).TCPOptions(make([]byte, 20)).Payload(payload), 6, cip6, 20, payload},
		{"ipv4 options 32 bytes", toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(append(make([]byte, 20), timestamps...)).Payload(payload), 4, cip4, 32, payload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.b.Bytes()
			frame, n, m := room(t, orig)
			ipLen := int(m.IPLen)
			n2, r := InsertTOA(frame, n, m, tt.family, a16(tt.client), 40000, 1500)
			if r != Done {
				t.Fatalf("InsertTOA = %v", r)
			}
			size := TOASize(tt.family)
			if int(m.IPLen) != ipLen+size || n2 != int(m.L3Off)+int(m.IPLen) {
				t.Errorf("IP length %d → %d, frame %d: want +%d", ipLen, m.IPLen, n2, size)
			}
			reparse(t, frame, n2, m)
			testpkt.Check(t, frame[:n2], testpkt.ValidChecksums(), testpkt.Payload(tt.payload), testpkt.IPLen(ipLen+size))
			seg := tcpOf(frame, n2, m)
			if got := int(seg.DataOffset()); got != header.TCPMinimumSize+tt.optLen+size {
				t.Errorf("data offset %d, want %d", got, header.TCPMinimumSize+tt.optLen+size)
			}
			addr, port := readTOA(t, seg)
			if addr != tt.client || port != 40000 {
				t.Errorf("TOA carries %v:%d, want %v:40000", addr, port, tt.client)
			}
			// The original options follow the TOA unchanged, and nothing
			// before the TCP header changed but the IP length (and the
			// IPv4 header checksum).
			origOpts := header.TCP(orig[m.L4Off:]).Options()
			if got := seg.Options()[size:]; !bytes.Equal(got, origOpts) {
				t.Errorf("options after TOA % x, want % x", got, origOpts)
			}
			want := append([]byte(nil), orig[:m.L4Off]...)
			if tt.family == 4 {
				ip := header.IPv4(want[m.L3Off:])
				ip.SetTotalLength(m.IPLen)
				ip.SetChecksum(0)
				ip.SetChecksum(^ip.CalculateChecksum())
			} else {
				header.IPv6(want[m.L3Off:]).SetPayloadLength(m.IPLen - header.IPv6MinimumSize)
			}
			if !bytes.Equal(frame[:m.L4Off], want) {
				t.Errorf("headers before TCP:\n got % x\nwant % x", frame[:m.L4Off], want)
			}
		})
	}
}

func TestInsertTOARefusals(t *testing.T) {
	payload := make([]byte, 1500-40)
	full := toRS4().TCP(1025, 80, packet.TCPAck).Payload(payload).Bytes() // IP length 1500
	tests := []struct {
		name   string
		frame  []byte
		family uint8
		mtu    int
		roomN  int // buffer size; 0: 2048
		want   Result
	}{
		{"syn", toRS4().TCP(1025, 80, packet.TCPSyn).Bytes(), 4, 1500, 0, NotApplicable},
		{"rst", toRS4().TCP(1025, 80, packet.TCPRst|packet.TCPAck).Bytes(), 4, 1500, 0, NotApplicable},
		{"unknown family", toRS4().TCP(1025, 80, packet.TCPAck).Bytes(), 5, 1500, 0, NotApplicable},
		{"ipv4 options full", toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(make([]byte, 36)).Bytes(), 4, 1500, 0, NoOptionSpace},
		{"ipv4 options 33 bytes", toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(make([]byte, 33)).Bytes(), 4, 1500, 0, NoOptionSpace},
		{"ipv6 options 24 bytes", toRS6().TCP(1025, 80, packet.TCPAck).TCPOptions(make([]byte, 24)).Bytes(), 6, 1500, 0, NoOptionSpace},
		{"over the mtu", full, 4, 1500, 0, TooBig},
		{"no room in the buffer", toRS4().TCP(1025, 80, packet.TCPAck).Bytes(), 4, 1500, 54 + 7, NoRoom},
		{"udp", toRS4().UDP(1025, 53).Bytes(), 4, 1500, 0, Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame, n, m := room(t, tt.frame)
			if tt.roomN != 0 {
				frame = frame[:tt.roomN]
			}
			before := append([]byte(nil), frame...)
			mBefore := *m
			n2, r := InsertTOA(frame, n, m, tt.family, a16(cip4), 1, tt.mtu)
			if r != tt.want || n2 != n {
				t.Errorf("InsertTOA = %d %v, want %d %v", n2, r, n, tt.want)
			}
			if !bytes.Equal(frame, before) || *m != mBefore {
				t.Error("a refused insertion changed the frame or the Meta")
			}
		})
	}
	// With room under the MTU, the full-size segment takes it.
	frame, n, m := room(t, full)
	if _, r := InsertTOA(frame, n, m, 4, a16(cip4), 1, 1508); r != Done {
		t.Errorf("MTU 1508: %v", r)
	}
}

// TestInsertTOAInconsistentMeta hands InsertTOA Metas that do not match
// the frame: it must refuse, not panic or write out of bounds.
func TestInsertTOAInconsistentMeta(t *testing.T) {
	frame, n, m := room(t, toRS4().TCP(1025, 80, packet.TCPAck).Payload([]byte("x")).Bytes())
	bad := []func(m *packet.Meta){
		func(m *packet.Meta) { m.IPLen += 100 },
		func(m *packet.Meta) { m.IPLen-- },
		func(m *packet.Meta) { m.L4Off += 4 },
		func(m *packet.Meta) { m.L3Off = 2000 },
		func(m *packet.Meta) { m.Family = 6 },
		func(m *packet.Meta) { m.Proto = header.IPProtoUDP },
	}
	for i, f := range bad {
		mm := *m
		f(&mm)
		if _, r := InsertTOA(frame, n, &mm, 4, a16(cip4), 1, 0); r != Malformed {
			t.Errorf("case %d: %v, want malformed", i, r)
		}
	}
	if _, r := InsertTOA(frame, len(frame)+1, m, 4, a16(cip4), 1, 0); r != Malformed {
		t.Errorf("n beyond the buffer: %v", r)
	}
}

func mssOption(mss uint16) []byte { return []byte{2, 4, byte(mss >> 8), byte(mss)} }

func TestClampMSS(t *testing.T) {
	tests := []struct {
		name   string
		opts   []byte
		flags  uint8
		reduce uint16
		want   Result
		mss    uint16 // expected, 0: no option
	}{
		{"syn", mssOption(1460), packet.TCPSyn, 8, Done, 1452},
		{"syn-ack ipv6 toa", mssOption(1440), packet.TCPSyn | packet.TCPAck, 20, Done, 1420},
		{"odd offset", append([]byte{1}, append(mssOption(1460), 1, 1, 1)...), packet.TCPSyn, 28, Done, 1432},
		{"after timestamps", append(append([]byte{}, timestamps...), mssOption(1400)...), packet.TCPSyn, 52, Done, 1348},
		{"floor", mssOption(100), packet.TCPSyn, 52, Done, 88},
		{"below the floor already", mssOption(60), packet.TCPSyn, 8, Done, 60},
		{"no mss", timestamps, packet.TCPSyn, 8, NotApplicable, 0},
		{"not a syn", mssOption(1460), packet.TCPAck, 8, NotApplicable, 1460},
		{"malformed options", []byte{3, 0, 0, 0}, packet.TCPSyn, 8, NotApplicable, 0},
		{"option past the end", []byte{1, 1, 2, 8}, packet.TCPSyn, 8, NotApplicable, 0},
	}
	for _, tt := range tests {
		for _, b := range []testpkt.Builder{toRS4(), toRS6()} {
			frame, n, m := room(t, b.TCP(1025, 80, tt.flags).TCPOptions(tt.opts).Bytes())
			if r := ClampMSS(frame, n, m, tt.reduce); r != tt.want {
				t.Errorf("%s: ClampMSS = %v, want %v", tt.name, r, tt.want)
			}
			testpkt.Check(t, frame[:n], testpkt.ValidChecksums())
			if tt.mss == 0 {
				continue
			}
			seg := tcpOf(frame, n, m)
			i := bytes.Index(seg.Options(), []byte{2, 4})
			if got := binary.BigEndian.Uint16(seg.Options()[i+2:]); got != tt.mss {
				t.Errorf("%s: MSS %d, want %d", tt.name, got, tt.mss)
			}
		}
	}
}
