package packet_test

import (
	"math/rand/v2"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// seedFrames are well-formed and malformed frames the fuzzer mutates.
func seedFrames() [][]byte {
	return [][]byte{
		v4.TCP(40000, 80, packet.TCPSyn).Payload([]byte("GET /")).Bytes(),
		v4.UDP(1, 53).Bytes(),
		v4.ICMPv4(header.ICMPv4Echo, 0, []byte{0, 1, 0, 1}).Bytes(),
		v4.SCTP(1, 2).Bytes(),
		v6.SCTP(1, 2).Chunks(header.SCTPChunk{Type: header.SCTPChunkCookieEcho, Value: make([]byte, 5)}, header.SCTPChunk{Type: header.SCTPChunkAbort}).Bytes(),
		v4.TCP(1, 2, 0).IPv4Options([]byte{1, 1, 1, 1}).Bytes(),
		v4.TCP(1, 2, 0).Fragment(8, true).Bytes(),
		eth.VLAN(5).IPv4(cl4, vip4).UDP(1, 2).Bytes(),
		eth.VLAN(5).VLAN(6).IPv6(cl6, vip6).TCP(1, 2, packet.TCPAck).Bytes(),
		v6.UDP(1, 53).Payload([]byte("query")).Bytes(),
		v6.IPv6Ext(header.IPProtoHopByHop, 8).IPv6Ext(header.IPProtoAH, 16).TCP(1, 2, 0).Bytes(),
		v6.IPv6Ext(header.IPProtoRouting, 24).Fragment(0, true).UDP(1, 2).Bytes(),
		v6.ICMPv6(header.ICMPv6PacketTooBig, 0, []byte{0, 0, 5, 0}).Bytes(),
		{},
	}
}

// FuzzParse checks that Parse never panics and that on success the
// offsets it returns lie within the frame in the order it promises.
func FuzzParse(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	f.Fuzz(checkParse)
}

// TestParseRandomFrames runs the fuzz target's checks on random frames
// and on seed frames with random bytes changed, in every test run.
func TestParseRandomFrames(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	seeds := seedFrames()
	buf := make([]byte, 256)
	for i := 0; i < 200000; i++ {
		var frame []byte
		if i%4 == 0 {
			frame = buf[:r.IntN(len(buf))]
			for j := range frame {
				frame[j] = byte(r.Uint32())
			}
			// Make random frames get past the EtherType now and then.
			if len(frame) > 14 && i%8 == 0 {
				frame[12], frame[13] = 0x86, 0xdd
				frame[14] = 0x60 | frame[14]&0x0f
			}
		} else {
			s := seeds[r.IntN(len(seeds))]
			frame = append(buf[:0], s...)
			for n := 1 + r.IntN(3); n > 0 && len(frame) > 0; n-- {
				frame[r.IntN(len(frame))] = byte(r.Uint32())
			}
			if r.IntN(4) == 0 {
				frame = frame[:r.IntN(len(frame)+1)]
			}
		}
		checkParse(t, frame)
		if t.Failed() {
			t.Fatalf("frame % x", frame)
		}
	}
}

// checkParse parses frame and checks the result's invariants.
func checkParse(t *testing.T, frame []byte) {
	var m packet.Meta
	r := packet.Parse(frame, &m)
	if r >= verdict.NumReasons {
		t.Fatalf("Parse returned reason %d out of range", r)
	}
	if r != verdict.None {
		return
	}
	l3, l4, pay, end := int(m.L3Off), int(m.L4Off), int(m.PayloadOff), int(m.L3Off)+int(m.IPLen)
	if !(l3 >= header.EthernetMinimumSize && l3 < l4 && l4 <= pay && pay <= end && end <= len(frame)) {
		t.Fatalf("offsets out of order: L3 %d L4 %d payload %d end %d frame %d", l3, l4, pay, end, len(frame))
	}
	switch {
	case m.Family == 4 && m.EtherType == header.EtherTypeIPv4 && l4-l3 == header.IPv4MinimumSize:
	case m.Family == 6 && m.EtherType == header.EtherTypeIPv6 && l4-l3 >= header.IPv6MinimumSize:
	default:
		t.Fatalf("family %d, EtherType %#x, IP header %d bytes", m.Family, m.EtherType, l4-l3)
	}
	switch m.Proto {
	case header.IPProtoTCP:
		if pay-l4 < header.TCPMinimumSize {
			t.Fatalf("TCP header of %d bytes", pay-l4)
		}
	case header.IPProtoUDP:
		if pay-l4 != header.UDPMinimumSize {
			t.Fatalf("UDP header of %d bytes", pay-l4)
		}
	case header.IPProtoSCTP:
		if pay-l4 != header.SCTPMinimumSize || l3+int(m.IPLen) < pay+header.SCTPChunkHeaderSize {
			t.Fatalf("SCTP common header of %d bytes, %d bytes after it", pay-l4, l3+int(m.IPLen)-pay)
		}
	default:
		if m.SrcPort != 0 || m.DstPort != 0 || pay != l4 {
			t.Fatalf("protocol %d with ports %d/%d, payload offset %d", m.Proto, m.SrcPort, m.DstPort, pay)
		}
	}
	if m.Proto != header.IPProtoSCTP && (m.SCTPChunk != 0 || m.SCTPChunkFlags != 0 || m.SCTPAbortNext) {
		t.Fatalf("protocol %d with SCTP chunk fields", m.Proto)
	}
	if m.Proto != header.IPProtoTCP && m.TCPFlags != 0 {
		t.Fatalf("protocol %d with TCP flags", m.Proto)
	}
}
