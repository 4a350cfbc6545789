package fullnat

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

func fuzzSeeds() [][]byte {
	return [][]byte{
		toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Payload([]byte("hello")).Bytes(),
		toRS4().TCP(1025, 80, packet.TCPSyn).TCPOptions(mssOption(1460)).Bytes(),
		toRS6().IPv6Ext(header.IPProtoDstOpts, 8).TCP(1025, 80, packet.TCPAck).Seq(100).Payload([]byte("x")).Bytes(),
		toRS6().TCP(80, 1025, packet.TCPAck).TCPOptions([]byte{1, 1, 5, 10, 0, 0, 0, 200, 0, 0, 1, 0}).Bytes(),
		toRS4().UDP(1, 53).Payload([]byte("q")).Bytes(),
		toRS4().TCP(1025, 80, packet.TCPAck).Pad(10).Bytes(),
	}
}

// checkFrameFunctions runs one of the frame functions, chosen by op, on
// frame: it must not panic, must leave refused frames unchanged, and a
// changed frame must parse to the Meta the function left and keep valid
// checksums valid. With forge, the Meta is built from the input instead
// of parsed, to feed the functions offsets that do not match the frame.
func checkFrameFunctions(t *testing.T, frame []byte, op uint8, arg uint16, forge bool) {
	buf := make([]byte, len(frame)+64)
	n := copy(buf, frame)
	var m packet.Meta
	if forge {
		if len(frame) < 8 {
			return
		}
		m = packet.Meta{L3Off: uint16(frame[0]), L4Off: uint16(frame[1]), IPLen: binary.BigEndian.Uint16(frame[2:]),
			Family: frame[4] & 7, Proto: frame[5]}
	} else if packet.Parse(buf[:n], &m) != verdict.None {
		return
	}
	valid := !forge && checksumsValid(buf[:n])
	before := append([]byte(nil), buf[:n]...)
	st := SeqState{First: uint32(arg) << 8, Flags: uint8(arg) & 3, Delta: ProxyV2SizeIPv4}
	hdr := make([]byte, ProxyV2MaxSize)
	hdr = hdr[:EncodeProxyV2(hdr, &ProxyV2{Proto: header.IPProtoTCP, Family: 4})]
	mtu := int(arg) % 1600
	n2, r := n, Done
	switch op % 6 {
	case 0:
		n2, r = InsertTOA(buf, n, &m, 4+2*(op>>7), a16(cip6), arg, mtu)
	case 1:
		r = ClampMSS(buf, n, &m, arg%100)
	case 2:
		n2, r = ProxyInbound(buf, n, &m, &st, hdr, mtu)
	case 3:
		r = AdjustOutbound(buf, n, &m, &st)
	case 4:
		n2, r = InsertProxyV2UDP(buf, n, &m, hdr, mtu)
	case 5:
		if forge {
			n2, r = InsertTOA(buf, n, &m, 6, a16(cip6), arg, 0)
		}
	}
	if r >= NumResults {
		t.Fatalf("result %d out of range", r)
	}
	if r != Done {
		if n2 != n || string(buf[:n]) != string(before) {
			t.Fatalf("op %d refused with %v but changed the frame", op%6, r)
		}
		return
	}
	if forge {
		return
	}
	var m2 packet.Meta
	if rr := packet.Parse(buf[:n2], &m2); rr != verdict.None || m2 != m {
		t.Fatalf("op %d: changed frame parses to %v %+v, function left %+v", op%6, rr, m2, m)
	}
	if valid && !checksumsValid(buf[:n2]) {
		t.Fatalf("op %d broke valid checksums: % x", op%6, buf[:n2])
	}
}

// checksumsValid reports whether the IPv4 header checksum and the TCP or
// UDP checksum of a frame are right (recomputed in full).
func checksumsValid(frame []byte) bool {
	f, err := testpkt.Decode(frame)
	if err != nil || f.Truncated {
		return false
	}
	if f.Family == 4 && !header.IPv4(f.IP).IsChecksumValid() {
		return false
	}
	src, dst := f.Src.AsSlice(), f.Dst.AsSlice()
	switch f.Proto {
	case header.IPProtoTCP:
		return len(f.L4) >= header.TCPMinimumSize && header.TCP(f.L4).IsChecksumValid(src, dst)
	case header.IPProtoUDP:
		u := header.UDP(f.L4)
		return len(f.L4) >= header.UDPMinimumSize && (f.Family == 4 && u.Checksum() == 0 || u.IsChecksumValid(src, dst))
	}
	return true
}

func FuzzFrameFunctions(f *testing.F) {
	for i, s := range fuzzSeeds() {
		for op := range uint8(6) {
			f.Add(s, op+uint8(i)*6, uint16(1500), false)
		}
	}
	f.Fuzz(checkFrameFunctions)
}

// TestFrameFunctionsRandom runs the fuzz target's checks on mutated seeds
// in every test run.
func TestFrameFunctionsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	seeds := fuzzSeeds()
	for i := 0; i < 30000; i++ {
		frame := append([]byte(nil), seeds[r.IntN(len(seeds))]...)
		for k := r.IntN(3); k > 0; k-- {
			frame[r.IntN(len(frame))] = byte(r.Uint32())
		}
		if r.IntN(5) == 0 {
			frame = frame[:r.IntN(len(frame)+1)]
		}
		checkFrameFunctions(t, frame, uint8(r.Uint32()), uint16(r.Uint32()), i%3 == 0)
	}
}
