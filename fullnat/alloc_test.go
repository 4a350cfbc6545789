package fullnat

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// frameRig is a frame and its Meta, restored from a template before each
// run, so that benchmarks and allocation tests time one operation on the
// same input.
type frameRig struct {
	tmpl  []byte
	tmplM packet.Meta
	buf   []byte
	m     packet.Meta
	n     int
}

func newRig(tb testing.TB, frame []byte) *frameRig {
	buf, n, m := room(tb, frame)
	r := &frameRig{tmpl: append([]byte(nil), buf[:n]...), tmplM: *m, buf: buf}
	r.reset()
	return r
}

func (r *frameRig) reset() {
	r.n = copy(r.buf, r.tmpl)
	r.m = r.tmplM
}

func TestFrameFunctionAllocs(t *testing.T) {
	toa := newRig(t, toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Payload(make([]byte, 100)).Bytes())
	syn := newRig(t, toRS6().TCP(1025, 80, packet.TCPSyn).TCPOptions(mssOption(1440)).Bytes())
	data := newRig(t, toRS4().TCP(1025, 80, packet.TCPAck).Seq(100).Payload(make([]byte, 100)).Bytes())
	reply := newRig(t, toRS4().TCP(80, 1025, packet.TCPAck).Ack(500).TCPOptions([]byte{1, 1, 5, 10, 0, 0, 1, 0, 0, 0, 2, 0}).Bytes())
	udp := newRig(t, toRS6().UDP(1025, 53).Payload(make([]byte, 40)).Bytes())
	var hdr [ProxyV2MaxSize]byte
	h := ProxyV2{Proto: header.IPProtoTCP, Family: 4, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 1, DstPort: 2}
	client := cip4.As16()
	allocs := testing.AllocsPerRun(1000, func() {
		toa.reset()
		InsertTOA(toa.buf, toa.n, &toa.m, 4, &client, 40000, 1500)
		syn.reset()
		ClampMSS(syn.buf, syn.n, &syn.m, 20)
		k := EncodeProxyV2(hdr[:], &h)
		st := SeqState{First: 100, Flags: seqStarted}
		data.reset()
		ProxyInbound(data.buf, data.n, &data.m, &st, hdr[:k], 1500)
		reply.reset()
		AdjustOutbound(reply.buf, reply.n, &reply.m, &st)
		udp.reset()
		InsertProxyV2UDP(udp.buf, udp.n, &udp.m, hdr[:k], 1500)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}

func BenchmarkInsertTOA(b *testing.B) {
	for _, c := range []struct {
		name   string
		frame  []byte
		family uint8
	}{
		{"IPv4-ack", toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Bytes(), 4},
		{"IPv4-1400B", toRS4().TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Payload(make([]byte, 1400)).Bytes(), 4},
		{"IPv6-ack", toRS6().TCP(1025, 80, packet.TCPAck).TCPOptions(timestamps).Bytes(), 6},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newRig(b, c.frame)
			client := cip6.As16()
			b.ReportAllocs()
			for b.Loop() {
				r.reset()
				if _, res := InsertTOA(r.buf, r.n, &r.m, c.family, &client, 40000, 1500); res != Done {
					b.Fatal(res)
				}
			}
		})
	}
}

func BenchmarkProxyV2Insert(b *testing.B) {
	r := newRig(b, toRS4().TCP(1025, 80, packet.TCPAck).Seq(100).TCPOptions(timestamps).Payload(make([]byte, 500)).Bytes())
	var hdr [ProxyV2MaxSize]byte
	h := ProxyV2{Proto: header.IPProtoTCP, Family: 4, Src: cip4.As16(), Dst: vip4.As16(), SrcPort: 1, DstPort: 2}
	b.ReportAllocs()
	for b.Loop() {
		r.reset()
		k := EncodeProxyV2(hdr[:], &h)
		st := SeqState{First: 100, Flags: seqStarted}
		if _, res := ProxyInbound(r.buf, r.n, &r.m, &st, hdr[:k], 1500); res != Done {
			b.Fatal(res)
		}
	}
}

func BenchmarkSeqAdjust(b *testing.B) {
	st := SeqState{First: 100, Delta: ProxyV2SizeIPv4, Flags: seqStarted | seqInserted}
	var hdr [ProxyV2SizeIPv4]byte
	b.Run("inbound", func(b *testing.B) {
		r := newRig(b, toRS4().TCP(1025, 80, packet.TCPAck).Seq(5000).TCPOptions(timestamps).Payload(make([]byte, 500)).Bytes())
		b.ReportAllocs()
		for b.Loop() {
			if _, res := ProxyInbound(r.buf, r.n, &r.m, &st, hdr[:], 1500); res != Done {
				b.Fatal(res)
			}
		}
	})
	b.Run("outbound-sack", func(b *testing.B) {
		r := newRig(b, toRS4().TCP(80, 1025, packet.TCPAck).Ack(5000).TCPOptions([]byte{1, 1, 5, 10, 0, 0, 20, 0, 0, 0, 30, 0}).Bytes())
		b.ReportAllocs()
		for b.Loop() {
			if res := AdjustOutbound(r.buf, r.n, &r.m, &st); res != Done {
				b.Fatal(res)
			}
		}
	})
}
