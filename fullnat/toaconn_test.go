package fullnat

import (
	"encoding/binary"
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/internal/testpkt"
)

func TestTOAInboundPlacesTOAAtTheStartOfTheStream(t *testing.T) {
	var st SeqState
	addr := cip4.As16()
	steps := []struct {
		name  string
		frame []byte
		want  Result
	}{
		{"ack before the syn", toRS4().TCP(1025, 80, packet.TCPAck).Seq(1001).Bytes(), NotApplicable},
		{"syn", toRS4().TCP(1025, 80, packet.TCPSyn).Seq(1000).Bytes(), NotApplicable},
		{"handshake ack", toRS4().TCP(1025, 80, packet.TCPAck).Seq(1001).Ack(5).Bytes(), Done},
		{"first data", toRS4().TCP(1025, 80, packet.TCPAck|packet.TCPPsh).Seq(1001).Ack(5).Payload([]byte("GET /")).Bytes(), Done},
		{"second data", toRS4().TCP(1025, 80, packet.TCPAck).Seq(1006).Ack(5).Payload([]byte("x")).Bytes(), NotApplicable},
		{"retransmitted first data", toRS4().TCP(1025, 80, packet.TCPAck).Seq(1001).Ack(5).Payload([]byte("GET /")).Bytes(), Done},
		{"rst at the start", toRS4().TCP(1025, 80, packet.TCPRst|packet.TCPAck).Seq(1001).Bytes(), NotApplicable},
	}
	for _, s := range steps {
		buf, n, m := room(t, s.frame)
		before := *m
		got, r := TOAInbound(buf, n, m, &st, 4, &addr, 40000, 1500)
		if r != s.want {
			t.Fatalf("%s: %v, want %v", s.name, r, s.want)
		}
		if r != Done {
			if got != n || *m != before {
				t.Fatalf("%s: frame changed without a TOA", s.name)
			}
			continue
		}
		reparse(t, buf, got, m)
		opts := tcpOf(buf, got, m).Options()
		if opts[0] != 254 || opts[1] != 8 || binary.BigEndian.Uint16(opts[2:]) != 40000 || [4]byte(opts[4:8]) != cip4.As4() {
			t.Fatalf("%s: options % x, want the TOA first", s.name, opts)
		}
		testpkt.Check(t, buf[:got], testpkt.ValidChecksums())
	}
}

func TestTOAInboundLeavesFullOptionsAlone(t *testing.T) {
	var st SeqState
	addr := cip4.As16()
	buf, n, m := room(t, toRS4().TCP(1025, 80, packet.TCPSyn).Seq(1).Bytes())
	TOAInbound(buf, n, m, &st, 4, &addr, 1, 0)
	full := make([]byte, 36) // 20 + 36 = 56: no room for 8 more
	for i := range full {
		full[i] = 1
	}
	buf, n, m = room(t, toRS4().TCP(1025, 80, packet.TCPAck).Seq(2).TCPOptions(full).Bytes())
	if got, r := TOAInbound(buf, n, m, &st, 4, &addr, 1, 0); r != NoOptionSpace || got != n {
		t.Fatalf("%v %d, want no-option-space and the frame unchanged", r, got)
	}
}
