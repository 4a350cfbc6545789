package engine

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// FuzzProcess feeds arbitrary frames to the whole per-packet path: the
// world (world_test.go) on two workers, frames received on either worker
// and link. An input is a list of records (fuzzOp): a raw frame, a reply
// to a frame the engine sent, an ICMP error about one, a clock step or a
// configuration change. After each record the workers are polled and
// every transmitted frame is checked; after the input the clock jumps
// past every timeout and the engine must be back to empty. Invariants:
//
//   - no panic; memport panics on a frame freed twice or a transmitted
//     descriptor outside its frame;
//   - every frame accounted for: free + queued == total on every port;
//   - every transmitted frame is a whole IPv4 or IPv6 packet of at most
//     one UMEM frame, going out on a link that exists;
//   - its checksums are right (fuzzcheck_test.go says which), unless a
//     frame fed since the last poll had wrong ones: the engine updates
//     checksums incrementally (RFC 1624), so a wrong sum stays wrong, by
//     design, as in IPVS; a zero UDP checksum stays zero;
//   - every frame taken off the wire is transmitted or counted as exactly
//     one drop: rx == tx + drops − too-big-icmp-sent (a frame answered
//     with an ICMP error counts both as a drop and as a transmission);
//     handoffs in flight are none once polled;
//   - at quiescence no connection, reply record, per-state count,
//     destination count (active, inactive, persistent) or local-address
//     count is left, FULLNAT ports allocated == released, no bad release.
//
// `go test` runs the seeds only; `go test -run '^$' -fuzz FuzzProcess
// ./dataplane/engine` explores.
func FuzzProcess(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	var h *fuzzHarness
	f.Fuzz(func(t *testing.T, in []byte) {
		if h == nil || h.now > 1<<61 {
			h = newFuzzHarness(t)
		}
		h.run(t, in)
	})
}

// Record ops: the low two bits of a record's first byte.
const (
	opRaw   = 0 // len16, frame bytes
	opReply = 1 // index of a sent frame, TCP flags / SCTP chunk, payload length
	opICMP  = 2 // index of a sent frame, type selector, code, quote length
	opCtl   = 3 // clock step (high bit clear) or configuration change
)

// Record flags in the first byte.
const (
	opWorker = 1 << 2 // receive on worker 1 instead of 0
	opLink   = 1 << 3 // receive on link 1 (servers) instead of 0 (clients)
	opFix    = 1 << 4 // make the frame's checksums right before feeding it
	opHold   = 1 << 5 // do not poll after this record
)

type fuzzHarness struct {
	w    *world
	now  int64
	sent []memport.Transmitted // frames sent during this input
	// dirty says whether a frame with wrong checksums was fed since the
	// last poll.
	dirty   bool
	changed bool // the configuration differs from worldConfig
}

const (
	fuzzFrames = 128
	fuzzConns  = 512
)

func newFuzzHarness(t testing.TB) *fuzzHarness {
	return &fuzzHarness{w: newWorld(t, 2, fuzzFrames, fuzzConns, 1024, 1279), now: second}
}

// fuzzInput reads records.
type fuzzInput struct{ b []byte }

func (r *fuzzInput) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzInput) take(n int) []byte {
	n = min(n, len(r.b))
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (h *fuzzHarness) run(t *testing.T, data []byte) {
	h.sent = h.sent[:0]
	in := &fuzzInput{b: data}
	for records := 0; len(in.b) > 0 && records < 64; records++ {
		op := in.byte()
		worker, link := int(op>>2&1), int(op>>3&1)
		switch op & 3 {
		case opRaw:
			n := (int(in.byte())<<8 | int(in.byte())) % 1600
			frame := append([]byte(nil), in.take(n)...)
			h.feed(t, worker, link, frame, op&opFix != 0)
		case opReply:
			idx, flags, plen := in.byte(), in.byte(), in.byte()
			if frame, l, ok := h.reply(idx, flags, int(plen%96)); ok {
				h.feed(t, worker, l, frame, op&opFix != 0)
			}
		case opICMP:
			idx, typ, code, qlen := in.byte(), in.byte(), in.byte(), in.byte()
			if frame, l, ok := h.icmpAbout(idx, typ, code, int(qlen)*8); ok {
				h.feed(t, worker, l, frame, op&opFix != 0)
			}
		case opCtl:
			h.control(t, in.byte())
		}
		if op&opHold == 0 {
			h.poll(t)
		}
	}
	h.poll(t)
	h.quiesce(t)
}

// feed queues frame on a worker's link.
func (h *fuzzHarness) feed(t *testing.T, worker, link int, frame []byte, fix bool) {
	if fix {
		if off, et := l2Len(frame); off >= 0 && (et == header.EtherTypeIPv4 || et == header.EtherTypeIPv6) {
			fixIP(frame[off:], 0)
		}
	}
	if frameProblems(frame) != "" {
		h.dirty = true
	}
	if err := h.w.ports[worker].Inject(link, frame); err != nil {
		// Only a full port refuses a frame of this size: the engine
		// holds frames it should have given back.
		t.Fatalf("inject: %v (free %d, pending %d)", err, h.w.ports[worker].FreeFrames(), h.w.ports[worker].Pending())
	}
}

// poll runs the workers until idle and checks what they sent.
func (h *fuzzHarness) poll(t *testing.T) {
	if !h.w.poll(h.now) {
		t.Fatal("workers still busy after 64 rounds")
	}
	for wi, p := range h.w.ports {
		for _, out := range p.TakeTx() {
			checkSent(t, wi, out, !h.dirty)
			if len(h.sent) < 256 {
				h.sent = append(h.sent, out)
			}
		}
	}
	h.dirty = false
	h.checkAccounting(t)
}

// checkSent checks one transmitted frame.
func checkSent(t *testing.T, worker int, out memport.Transmitted, sums bool) {
	t.Helper()
	if len(out.Frame) > 2048 {
		t.Fatalf("worker %d sent a frame of %d bytes", worker, len(out.Frame))
	}
	off, et := l2Len(out.Frame)
	if off < 0 || (et != header.EtherTypeIPv4 && et != header.EtherTypeIPv6) {
		t.Fatalf("worker %d sent a non-IP frame (EtherType %#04x): % x", worker, et, out.Frame)
	}
	pkt, _, _, _, _, ok := ipParts(out.Frame[off:])
	if !ok || (et == header.EtherTypeIPv4) != (pkt[0]>>4 == 4) {
		t.Fatalf("worker %d sent a frame without a whole IP packet of its EtherType: % x", worker, out.Frame)
	}
	if sums {
		if p := ipProblems(pkt, 0); p != "" {
			t.Fatalf("worker %d sent a frame with %s (all input checksums right): % x", worker, p, out.Frame)
		}
	}
}

// checkAccounting checks frames and counters after a poll.
func (h *fuzzHarness) checkAccounting(t *testing.T) {
	t.Helper()
	for i, p := range h.w.ports {
		if got := p.FreeFrames() + p.Pending(); got != h.w.frames {
			t.Fatalf("port %d: %d frames free or queued, want %d", i, got, h.w.frames)
		}
		c := h.w.eng.WorkerCounters(i)
		if p.Sent[0]+p.Sent[1] != c.TxPackets {
			t.Fatalf("port %d sent %d frames, worker counted %d", i, p.Sent[0]+p.Sent[1], c.TxPackets)
		}
	}
	c := h.w.eng.Counters()
	var drops uint64
	for _, d := range c.Drops {
		drops += d
	}
	if c.RxPackets != c.TxPackets+drops-c.Drops[verdict.TooBig] {
		t.Fatalf("rx %d != tx %d + drops %d - too-big %d (handoff out %d in %d; drops %v)",
			c.RxPackets, c.TxPackets, drops, c.Drops[verdict.TooBig], c.HandoffOut, c.HandoffIn, c.Drops)
	}
	if c.HandoffIn > c.HandoffOut {
		t.Fatalf("handoff in %d > out %d", c.HandoffIn, c.HandoffOut)
	}
}

// control steps the clock (high bit clear: 2^(b%40) ns) or changes the
// configuration.
func (h *fuzzHarness) control(t *testing.T, b byte) {
	if b&0x80 == 0 {
		h.now += int64(1) << (b % 40)
		return
	}
	h.changed = true
	churn(h.w, int(b&0x7f))
	if err := h.w.publish(); err != nil {
		t.Fatalf("publish after change %d: %v", b&0x7f, err)
	}
}

// churn applies change k to the world's configuration, keeping what the
// model guarantees: a deleted real server or local address stays in the
// snapshot, unavailable, and leaves its service's lists.
func churn(w *world, k int) {
	d := k / 8 % len(w.dests)
	switch k % 8 {
	case 0:
		w.dests[d].Weight = 0
	case 1:
		w.dests[d].Available = false
		s := &w.svcs[w.dests[d].Service]
		s.Dests = without(s.Dests, uint32(d))
	case 2:
		a := k / 8 % len(w.laddrs)
		w.laddrs[a].Available = false
		for i := range w.svcs {
			w.svcs[i].FullNAT.Laddrs = without(w.svcs[i].FullNAT.Laddrs, uint32(a))
		}
	case 3:
		s := &w.svcs[k/8%len(w.svcs)]
		s.Flags ^= snapshot.SvcPersistent
		s.PersistTimeout, s.Netmask = 30, 0xffffffff
		if s.Family == 6 {
			s.Netmask = 128
		}
	case 4:
		w.marks = w.marks[:len(w.marks)/2]
	case 5:
		w.tmo.Set(10, 5, 3)
	case 6:
		w.dests[d].NextHop.Valid = false
	case 7:
		w.dests[d].NextHop.MTU = 576
	}
}

func without(s []uint32, v uint32) []uint32 {
	out := make([]uint32, 0, len(s))
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// quiesce lets every connection expire and checks that nothing is left.
func (h *fuzzHarness) quiesce(t *testing.T) {
	h.now += 4 * 3600 * second
	if h.changed {
		h.w.svcs, h.w.dests, h.w.laddrs, h.w.marks = worldConfig()
		h.w.tmo = conntrack.DefaultTimeouts()
		if err := h.w.publish(); err != nil {
			t.Fatal(err)
		}
		h.changed = false
	}
	for i := 0; i < fuzzConns/expireBudget+2; i++ {
		h.poll(t)
	}
	checkEmpty(t, h.w)
}

// checkEmpty checks that the world's engine holds no connection and no
// count of one.
func checkEmpty(t testing.TB, w *world) {
	t.Helper()
	for i, wk := range w.eng.Workers() {
		if n := wk.ct.Len(); n != 0 {
			t.Fatalf("worker %d: %d connections left after every timeout", i, n)
		}
		if n := wk.ct.ReplyLen(); n != 0 {
			t.Fatalf("worker %d: %d reply records left", i, n)
		}
		for s := range wk.c.states {
			if v := wk.c.states[s].load(); v != 0 {
				t.Fatalf("worker %d: state %d counts %d connections in an empty table", i, s, int64(v))
			}
		}
		for d := range w.dests {
			dc := &wk.dest[d]
			if a, in, p := dc.active.load(), dc.inactive.load(), dc.persist.load(); a|in|p != 0 {
				t.Fatalf("worker %d: real server slot %d counts active %d inactive %d persistent %d in an empty table",
					i, d, int64(a), int64(in), int64(p))
			}
		}
		for a := range w.laddrs {
			if n := wk.fn.laddr[a].conns.load(); n != 0 {
				t.Fatalf("worker %d: local address %d counts %d connections", i, a, int64(n))
			}
		}
		fc := &wk.fn.c
		if al, rel, bad := fc.portsAllocated.load(), fc.portsReleased.load(), fc.badReleases.load(); al != rel || bad != 0 {
			t.Fatalf("worker %d: FULLNAT ports allocated %d released %d, bad releases %d", i, al, rel, bad)
		}
	}
}

// reply builds the answer of a peer to sent frame idx: addresses, ports
// and MACs swapped, TCP flags or the first SCTP chunk from flags, plen
// bytes of payload. It returns the frame and the link to feed it on.
func (h *fuzzHarness) reply(idx, flags byte, plen int) ([]byte, int, bool) {
	if len(h.sent) == 0 {
		return nil, 0, false
	}
	out := h.sent[int(idx)%len(h.sent)]
	f, err := testpkt.Decode(out.Frame)
	if err != nil || len(f.L4) < 4 {
		return nil, 0, false
	}
	sport, dport := binary.BigEndian.Uint16(f.L4[2:]), binary.BigEndian.Uint16(f.L4)
	b := ipBuilder(f.L2.DestinationAddress(), f.L2.SourceAddress(), f.Dst, f.Src)
	payload := make([]byte, plen)
	for i := range payload {
		payload[i] = 'r'
	}
	switch f.Proto {
	case header.IPProtoTCP:
		if len(f.L4) < header.TCPMinimumSize {
			return nil, 0, false
		}
		tcp := header.TCP(f.L4)
		b = b.TCP(sport, dport, flags).Seq(uint32(flags) << 20).Ack(tcp.SequenceNumber() + 1).Payload(payload)
	case header.IPProtoUDP:
		b = b.UDP(sport, dport).Payload(payload)
	case header.IPProtoSCTP:
		b = b.SCTP(sport, dport).Chunks(header.SCTPChunk{Type: flags % 16, Flags: flags >> 4, Value: payload[:plen&^3]})
	default:
		return nil, 0, false
	}
	return b.Bytes(), out.Link, true
}

// icmpAbout builds an ICMP error from the destination of sent frame idx
// back to its source, quoting up to quote bytes of it. typ picks the
// type: destination unreachable (code), time exceeded, source quench,
// packet too big, or a type that is not an error.
func (h *fuzzHarness) icmpAbout(idx, typ, code byte, quote int) ([]byte, int, bool) {
	if len(h.sent) == 0 {
		return nil, 0, false
	}
	out := h.sent[int(idx)%len(h.sent)]
	f, err := testpkt.Decode(out.Frame)
	if err != nil {
		return nil, 0, false
	}
	q := f.IP[:min(len(f.IP), quote)]
	body := append(make([]byte, 4, 4+len(q)), q...)
	binary.BigEndian.PutUint32(body, 1280)
	b := ipBuilder(f.L2.DestinationAddress(), f.L2.SourceAddress(), f.Dst, f.Src)
	if f.Family == 4 {
		types := [...]uint8{header.ICMPv4DstUnreachable, header.ICMPv4TimeExceeded, header.ICMPv4SrcQuench, 12, 8}
		b = b.ICMPv4(types[int(typ)%len(types)], code%16, body)
	} else {
		types := [...]uint8{header.ICMPv6DstUnreachable, header.ICMPv6PacketTooBig, header.ICMPv6TimeExceeded, 4, 128}
		b = b.ICMPv6(types[int(typ)%len(types)], code%8, body)
	}
	return b.Bytes(), out.Link, true
}

func ipBuilder(srcMAC, dstMAC header.MAC, src, dst netip.Addr) testpkt.Builder {
	b := testpkt.Eth(srcMAC, dstMAC)
	if src.Is4() && dst.Is4() {
		return b.IPv4(src, dst)
	}
	return b.IPv6(src, dst)
}

// Seed records.
func rawRec(flags byte, frame []byte) []byte {
	r := []byte{opRaw | flags, 0, 0}
	binary.BigEndian.PutUint16(r[1:], uint16(len(frame)))
	return append(r, frame...)
}

func replyRec(flags byte, idx, tcp, plen byte) []byte { return []byte{opReply | flags, idx, tcp, plen} }

func icmpRec(flags byte, idx, typ, code, quote byte) []byte {
	return []byte{opICMP | flags, idx, typ, code, quote}
}

func ctlRec(b byte) []byte { return []byte{opCtl, b} }

func cat(recs ...[]byte) []byte {
	var out []byte
	for _, r := range recs {
		out = append(out, r...)
	}
	return out
}

// fuzzSeeds are valid conversations of every kind, then mangled ones.
func fuzzSeeds() [][]byte {
	c4, c6 := client(1), cl6
	syn4 := func(dst netip.Addr, dport uint16) []byte {
		return fromClient(c4, dst).TCP(40000, dport, packet.TCPSyn).TCPOptions([]byte{2, 4, 5, 0xb4}).Seq(100).Bytes()
	}
	ack4 := func(dst netip.Addr, dport uint16, payload string) []byte {
		return fromClient(c4, dst).TCP(40000, dport, packet.TCPAck).Seq(101).Ack(1).Payload([]byte(payload)).Bytes()
	}
	syn6 := func(dport uint16) []byte {
		return fromClient(c6, vip6).TCP(40000, dport, packet.TCPSyn).TCPOptions([]byte{2, 4, 5, 0xa0}).Seq(100).Bytes()
	}
	ack6 := func(dport uint16, payload string) []byte {
		return fromClient(c6, vip6).TCP(40000, dport, packet.TCPAck).Seq(101).Ack(1).Payload([]byte(payload)).Bytes()
	}
	udp4 := func(dst netip.Addr, dport uint16, n int) []byte {
		return fromClient(c4, dst).UDP(40000, dport).Payload(make([]byte, n)).Bytes()
	}
	udp6 := func(dst netip.Addr, dport uint16, n int) []byte {
		return fromClient(c6, dst).UDP(40000, dport).Payload(make([]byte, n)).Bytes()
	}
	init := func(dst netip.Addr) []byte {
		return fromClient(c4, dst).SCTP(40000, 3868).Chunks(header.SCTPChunk{Type: header.SCTPChunkInit, Value: make([]byte, 16)}).Bytes()
	}
	init6 := fromClient(c6, vip6).SCTP(40000, 3868).Chunks(header.SCTPChunk{Type: header.SCTPChunkInit, Value: make([]byte, 16)}).Bytes()
	const fix = opFix
	tcpConv := func(syn, ack []byte, dataFlag byte) []byte {
		return cat(rawRec(fix, syn), replyRec(opLink|opWorker, 0, packet.TCPSyn|packet.TCPAck, 0),
			rawRec(fix, ack), replyRec(0, 1, packet.TCPAck|dataFlag, 20), icmpRec(0, 1, 0, 4, 8), icmpRec(0, 2, 0, 3, 16))
	}
	seeds := [][]byte{
		tcpConv(syn4(vip4, 80), ack4(vip4, 80, "GET /"), 0),
		tcpConv(syn4(vip4, 443), ack4(vip4, 443, "hello"), packet.TCPFin),
		tcpConv(syn4(vip4, 8080), ack4(vip4, 8080, "x"), 0),
		tcpConv(syn4(vip4, 8000), ack4(vip4, 8000, "gre"), 0),
		tcpConv(syn4(vip4, 9000), ack4(vip4, 9000, "toa"), 0),
		tcpConv(syn4(vip4, 9001), ack4(vip4, 9001, "proxy"), packet.TCPPsh),
		tcpConv(syn4(vip4b, 1500), ack4(vip4b, 1500, "marked"), 0),
		tcpConv(syn4(vip4b, 7777), ack4(vip4b, 7777, "port0"), packet.TCPRst),
		tcpConv(syn6(80), ack6(80, "v6 nat"), 0),
		tcpConv(syn6(9000), ack6(9000, "v6 toa"), 0),
		cat(rawRec(fix, udp4(vip4, 53, 30)), replyRec(opLink, 0, 0, 40), icmpRec(0, 0, 0, 3, 8), icmpRec(opLink, 1, 1, 0, 6)),
		cat(rawRec(fix, udp4(vip4, 4500, 1200)), rawRec(fix, udp4(vip4, 4500, 100)), icmpRec(0, 0, 0, 4, 100)),
		cat(rawRec(fix, udp4(vip4, 9002, 50)), replyRec(opLink, 0, 0, 10)),
		cat(rawRec(fix, udp4(vip4, 5000, 10)), rawRec(fix|opWorker, udp4(vip4, 5000, 10)), replyRec(opLink, 0, 0, 4)),
		cat(rawRec(fix, udp6(vip6, 53, 20)), rawRec(fix, udp6(vip6, 5000, 20)), replyRec(opLink, 1, 0, 5)),
		cat(rawRec(fix, udp6(vip6b, 9999, 20)), icmpRec(0, 0, 1, 0, 10)),
		cat(rawRec(fix, init(vip4)), replyRec(opLink, 0, 2, 16), replyRec(0, 1, 10, 8), replyRec(opLink, 0, 11, 0), icmpRec(0, 0, 0, 3, 8)),
		cat(rawRec(fix, init6), replyRec(0, 0, 0, 8)),
		// Configuration changes between packets of live connections.
		cat(rawRec(fix, syn4(vip4, 443)), ctlRec(0x80|3<<3|1), rawRec(fix, ack4(vip4, 443, "after")), ctlRec(0x80|2), ctlRec(30),
			rawRec(fix, syn4(vip4, 9000)), ctlRec(0x80|1<<3|2), replyRec(opLink, 0, packet.TCPSyn|packet.TCPAck, 0), ctlRec(0x80|5)),
		cat(rawRec(fix, syn4(vip4b, 1000)), ctlRec(0x80|4), rawRec(fix, ack4(vip4b, 1000, "x")), ctlRec(0x80|6|18<<3), rawRec(fix, syn4(vip4b, 1001))),
		// Mangled: VLAN tags, IPv6 extension headers, fragments, options,
		// bad lengths, tunnels and ICMP on the wire.
		cat(rawRec(fix, testpkt.Eth(routerMAC, dirCMAC).VLAN(10).VLAN(20).IPv4(c4, vip4).TCP(1, 80, packet.TCPSyn).Bytes())),
		cat(rawRec(fix, testpkt.Eth(routerMAC, dirCMAC).IPv6(c6, vip6).IPv6Ext(0, 8).IPv6Ext(60, 16).TCP(1, 80, packet.TCPSyn).Bytes())),
		cat(rawRec(fix, testpkt.Eth(routerMAC, dirCMAC).IPv6(c6, vip6).IPv6Ext(44, 8).UDP(1, 53).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).Fragment(8, true).UDP(1, 53).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).IPv4Options([]byte{1, 1, 1, 0}).TCP(1, 80, packet.TCPSyn).Bytes())),
		cat(rawRec(0, fromClient(c4, vip4).TotalLength(30).TCP(1, 80, packet.TCPSyn).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).TCP(1, 9000, packet.TCPSyn).DataOffset(60).TCPOptions(make([]byte, 40)).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).UDP(1, 53).UDPLength(9).Payload([]byte("ab")).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).SCTP(1, 3868).Chunks(header.SCTPChunk{Type: 1, Length: 3}).Bytes())),
		cat(rawRec(fix, testpkt.Eth(rs1MAC, dirSMAC).IPv4(dirS4, tunRS4).Transport(header.IPProtoIPIP, syn4(vip4, 80)[14:]).Bytes())),
		cat(rawRec(fix, testpkt.Eth(rs1MAC, dirSMAC).IPv4(natRS1, vip4).UDP(1, gueTestPort).Payload(append([]byte{0, 4, 0, 0}, syn4(vip4, 80)[14:]...)).Bytes())),
		cat(rawRec(fix|opLink, testpkt.Eth(rs1MAC, dirSMAC).IPv4(natRS1, c4).ICMPv4(3, 4, append([]byte{0, 0, 5, 0}, fromClient(c4, natRS1).TCP(40000, 8443, 0).Bytes()[14:42]...)).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).ICMPv4(3, 0, append(make([]byte, 4), testpkt.Eth(dirCMAC, routerMAC).IPv4(vip4, c4).IHL(24).UDP(53, 1).Bytes()[14:40]...)).Bytes())),
		cat(rawRec(fix, fromClient(c4, vip4).TCP(40000, 8080, packet.TCPSyn).Payload(make([]byte, 1400)).Bytes())),
		cat(rawRec(fix, fromClient(c6, vip6).UDP(40000, 53).Payload(make([]byte, 1500)).Bytes())),
	}
	return seeds
}
