package fullnat

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var (
	macA = testpkt.MAC("02:00:00:00:00:01")
	macB = testpkt.MAC("02:00:00:00:00:02")

	cip4 = netip.MustParseAddr("198.18.1.7")
	lip4 = netip.MustParseAddr("198.18.0.200")
	vip4 = netip.MustParseAddr("198.18.0.100")
	rip4 = netip.MustParseAddr("198.18.2.11")
	cip6 = netip.MustParseAddr("fd00:1::7")
	lip6 = netip.MustParseAddr("fd00::200")
	vip6 = netip.MustParseAddr("fd00::100")
	rip6 = netip.MustParseAddr("fd00:2::11")
)

// toRS4 and toRS6 start a client→server segment after the FULLNAT
// rewrite: LIP → RIP.
func toRS4() testpkt.Builder { return testpkt.Eth(macA, macB).IPv4(lip4, rip4) }
func toRS6() testpkt.Builder { return testpkt.Eth(macA, macB).IPv6(lip6, rip6) }

// room copies frame into a buffer of 2048 bytes (a UMEM frame) and parses
// it; it returns the buffer, the frame length and the parsed Meta.
func room(t testing.TB, frame []byte) ([]byte, int, *packet.Meta) {
	t.Helper()
	buf := make([]byte, 2048)
	n := copy(buf, frame)
	m := new(packet.Meta)
	if r := packet.Parse(buf[:n], m); r != verdict.None {
		t.Fatalf("Parse: %v", r)
	}
	return buf, n, m
}

// reparse checks that frame[:n] still parses to what m says.
func reparse(t testing.TB, frame []byte, n int, m *packet.Meta) {
	t.Helper()
	var m2 packet.Meta
	if r := packet.Parse(frame[:n], &m2); r != verdict.None {
		t.Fatalf("changed frame does not parse: %v", r)
	}
	if m2 != *m {
		t.Fatalf("Meta after the change %+v, parsed again %+v", *m, m2)
	}
}

// tcpOf returns the TCP segment of a frame parsed into m.
func tcpOf(frame []byte, n int, m *packet.Meta) header.TCP {
	return header.TCP(frame[m.L4Off : int(m.L3Off)+int(m.IPLen)])
}

func a16(a netip.Addr) *[16]byte {
	b := a.As16()
	return &b
}
