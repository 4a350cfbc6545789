//go:build linux

package decap

import (
	"bytes"
	"encoding/binary"
	"maps"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// tc actions (linux/pkt_cls.h).
const (
	tcActOK   = 0
	tcActShot = 2
)

// Addresses of the BPF_PROG_RUN tests: a director, a real server, a
// client, the VIPs and an address that is not a VIP.
var (
	dirMAC  = testpkt.MAC("02:00:00:00:00:01")
	rsMAC   = testpkt.MAC("02:00:00:00:00:02")
	dir4    = netip.MustParseAddr("198.18.0.1")
	rs4     = netip.MustParseAddr("198.18.0.2")
	client4 = netip.MustParseAddr("198.18.1.1")
	vip4    = netip.MustParseAddr("198.18.0.100")
	other4  = netip.MustParseAddr("198.18.0.200")
	dir6    = netip.MustParseAddr("fd00::1")
	rs6     = netip.MustParseAddr("fd00::2")
	client6 = netip.MustParseAddr("fd00:1::1")
	vip6    = netip.MustParseAddr("fd00:ff::100")
	other6  = netip.MustParseAddr("fd00:ff::200")
)

const testGUEPort = 6080

// loadT loads a decapsulator for VIPs vip4 and vip6 with GUE on
// testGUEPort (root only) and closes it on cleanup.
func loadT(t testing.TB) *Decap {
	t.Helper()
	netlab.RequireRoot(t)
	d, err := Load(Options{VIPs: []netip.Addr{vip4, vip6}, GUEPort: testGUEPort, GRE: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// innerUDP is an inner packet from the client to dst: UDP with a payload.
func innerUDP(dst netip.Addr) []byte {
	src := client4
	b := testpkt.Eth(dirMAC, rsMAC)
	if dst.Is6() {
		src = client6
		b = b.IPv6(src, dst)
	} else {
		b = b.IPv4(src, dst)
	}
	return b.UDP(40000, 53).Payload([]byte("inner payload")).IP()
}

// ipProto is the IP protocol number that announces pkt in an IPIP packet.
func ipProto(pkt []byte) uint8 {
	if pkt[0]>>4 == 6 {
		return 41
	}
	return 4
}

// outer wraps body (protocol proto) in an outer IP header from the
// director to the real server of the family of rs.
func outer(rs netip.Addr, proto uint8, body []byte) testpkt.Builder {
	b := testpkt.Eth(dirMAC, rsMAC)
	if rs.Is6() {
		return b.IPv6(dir6, rs).Transport(proto, body)
	}
	return b.IPv4(dir4, rs).Transport(proto, body)
}

// ipip is inner in an IPIP packet to rs.
func ipip(rs netip.Addr, inner []byte) []byte { return outer(rs, ipProto(inner), inner).Bytes() }

// gue is inner behind a GUE version 0 header to port, over UDP to rs.
func gue(rs netip.Addr, port uint16, inner []byte) []byte {
	return gueRaw(rs, port, append([]byte{0, ipProto(inner), 0, 0}, inner...))
}

// gueRaw is payload over UDP from the director to rs:port.
func gueRaw(rs netip.Addr, port uint16, payload []byte) []byte {
	b := testpkt.Eth(dirMAC, rsMAC)
	if rs.Is6() {
		b = b.IPv6(dir6, rs)
	} else {
		b = b.IPv4(dir4, rs)
	}
	return b.UDP(50000, port).Payload(payload).Bytes()
}

// greC is the GRE checksum-present bit.
const greC = 0x8000

// Inner packets of the GRE cases: an odd length, several checksum
// chunks, and the shortest IPv4 packet.
var (
	oddIn4  = testpkt.Eth(dirMAC, rsMAC).IPv4(client4, vip4).UDP(40000, 53).Payload([]byte("odd")).IP()
	bigIn6  = testpkt.Eth(dirMAC, rsMAC).IPv6(client6, vip6).UDP(40000, 53).Payload(bytes.Repeat([]byte{0xa5, 0x5a, 0xff}, 401)).IP()
	tinyIn4 = testpkt.Eth(dirMAC, rsMAC).IPv4(client4, vip4).Transport(253, nil).IP()
)

// gre is inner in a GRE packet to rs with the given flags (0 or greC, the
// checksum then filled in), as IPVS's ipvs_gre_encap builds it.
func gre(rs netip.Addr, flags uint16, inner []byte) []byte {
	et := uint16(header.EtherTypeIPv4)
	if inner[0]>>4 == 6 {
		et = header.EtherTypeIPv6
	}
	h := binary.BigEndian.AppendUint16(nil, flags)
	h = binary.BigEndian.AppendUint16(h, et)
	if flags&greC != 0 {
		h = append(h, 0, 0, 0, 0)
		pkt := append(h, inner...)
		binary.BigEndian.PutUint16(pkt[4:], testpkt.ReferenceChecksum(pkt))
		return outer(rs, 47, pkt).Bytes()
	}
	return outer(rs, 47, append(h, inner...)).Bytes()
}

// greRaw is inner behind the raw GRE header hdr, to rs.
func greRaw(rs netip.Addr, hdr, inner []byte) []byte {
	return outer(rs, 47, append(bytes.Clone(hdr), inner...)).Bytes()
}

// trailer returns frame followed by bytes that are not part of its IP
// packet (Ethernet padding, a trailer): the checksum must not cover them.
func trailer(frame []byte) []byte {
	return append(bytes.Clone(frame), 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee)
}

// flip returns a copy of frame with byte off inverted.
func flip(frame []byte, off int) []byte { return with(frame, off, ^frame[off]) }

// decapsulated is the frame the program must leave: the Ethernet header
// with the inner packet's EtherType, then the inner packet.
func decapsulated(inner []byte) []byte {
	out := make([]byte, header.EthernetMinimumSize, header.EthernetMinimumSize+len(inner))
	et := uint16(header.EtherTypeIPv4)
	if inner[0]>>4 == 6 {
		et = header.EtherTypeIPv6
	}
	header.Ethernet(out).Encode(&header.EthernetFields{SrcAddr: dirMAC, DstAddr: rsMAC, Type: et})
	return append(out, inner...)
}

// with returns a copy of frame with b[off] = v.
func with(frame []byte, off int, v byte) []byte {
	out := bytes.Clone(frame)
	out[off] = v
	return out
}

// fragment returns a copy of an outer-IPv4 frame with the given IPv4
// flags/fragment offset field (host order), the header checksum left as
// is (the program does not check it).
func fragment(frame []byte, fragOff uint16) []byte {
	out := bytes.Clone(frame)
	binary.BigEndian.PutUint16(out[header.EthernetMinimumSize+6:], fragOff)
	return out
}

// ethOff is where the outer IP header starts; gueOff4/gueOff6 where the GUE
// header starts behind outer IPv4/IPv6 and UDP.
const (
	ethOff  = header.EthernetMinimumSize
	gueOff4 = ethOff + 20 + 8
	gueOff6 = ethOff + 40 + 8
	greOff4 = ethOff + 20
)

func TestProgram(t *testing.T) {
	d := loadT(t)
	in4, in6 := innerUDP(vip4), innerUDP(vip6)
	not4, not6 := innerUDP(other4), innerUDP(other6)
	tcp4 := testpkt.Eth(dirMAC, rsMAC).IPv4(client4, vip4).TCP(40000, 80, 0x02).IP()

	tests := []struct {
		name    string
		frame   []byte
		action  uint32
		counter string
		want    []byte // output frame; nil: the input unchanged
	}{
		{"ipip 4in4", ipip(rs4, in4), tcActOK, "decap-ipip", decapsulated(in4)},
		{"ipip 4in4 tcp syn", ipip(rs4, tcp4), tcActOK, "decap-ipip", decapsulated(tcp4)},
		{"ipip 6in6", ipip(rs6, in6), tcActOK, "decap-ipip", decapsulated(in6)},
		{"ipip 4in6", ipip(rs6, in4), tcActOK, "decap-ipip", decapsulated(in4)},
		{"ipip 6in4", ipip(rs4, in6), tcActOK, "decap-ipip", decapsulated(in6)},
		{"ipip outer ipv4 options", outer(rs4, 4, in4).IPv4Options([]byte{1, 1, 1, 1}).Bytes(), tcActOK, "decap-ipip", decapsulated(in4)},
		{"gue 4in4", gue(rs4, testGUEPort, in4), tcActOK, "decap-gue", decapsulated(in4)},
		{"gue 6in6", gue(rs6, testGUEPort, in6), tcActOK, "decap-gue", decapsulated(in6)},
		{"gue 4in6", gue(rs6, testGUEPort, in4), tcActOK, "decap-gue", decapsulated(in4)},
		{"gue 6in4", gue(rs4, testGUEPort, in6), tcActOK, "decap-gue", decapsulated(in6)},
		{"gue version 1 ipv4", gueRaw(rs4, testGUEPort, in4), tcActOK, "decap-gue", decapsulated(in4)},
		{"gue version 1 ipv6", gueRaw(rs6, testGUEPort, in6), tcActOK, "decap-gue", decapsulated(in6)},

		{"ipip inner not a vip", ipip(rs4, not4), tcActOK, "pass-not-vip", nil},
		{"ipip 6in6 inner not a vip", ipip(rs6, not6), tcActOK, "pass-not-vip", nil},
		{"gue inner not a vip", gue(rs4, testGUEPort, not4), tcActOK, "pass-not-vip", nil},
		{"plain udp to the vip", testpkt.Eth(dirMAC, rsMAC).IPv4(client4, vip4).UDP(1, 53).Bytes(), tcActOK, "pass-not-tunnel", nil},
		{"gue to another port", gue(rs4, testGUEPort+1, in4), tcActOK, "pass-not-tunnel", nil},
		{"tcp", testpkt.Eth(dirMAC, rsMAC).IPv6(dir6, rs6).TCP(1, 2, 0x02).Bytes(), tcActOK, "pass-not-tunnel", nil},
		{"arp", testpkt.Eth(dirMAC, rsMAC).EtherType(0x0806).Transport(0, make([]byte, 28)).Bytes(), tcActOK, "pass-not-tunnel", nil},
		{"ipv4 ihl 4", with(ipip(rs4, in4), ethOff, 0x44), tcActOK, "pass-not-tunnel", nil},
		{"ipip more fragments", fragment(ipip(rs4, in4), 0x2000), tcActOK, "pass-fragment", nil},
		{"ipip later fragment", fragment(ipip(rs4, in4), 0x0010), tcActOK, "pass-fragment", nil},
		{"gue first fragment", fragment(gue(rs4, testGUEPort, in4), 0x2000), tcActOK, "pass-fragment", nil},
		{"udp later fragment", fragment(gue(rs4, testGUEPort, in4), 0x0010), tcActOK, "pass-not-tunnel", nil},
		{"ipv6 fragment of ipip", outer(rs6, 44, append([]byte{4, 0, 0, 1, 0, 0, 0, 1}, in4...)).Bytes(), tcActOK, "pass-fragment", nil},

		{"gue version 2", with(gue(rs4, testGUEPort, in4), gueOff4, 0x80), tcActShot, "drop-malformed", nil},
		{"gue version 3", with(gue(rs6, testGUEPort, in6), gueOff6, 0xc0), tcActShot, "drop-malformed", nil},
		{"gue control message", with(gue(rs4, testGUEPort, in4), gueOff4, 0x20), tcActShot, "drop-malformed", nil},
		{"gue options", with(gue(rs4, testGUEPort, in4), gueOff4, 0x01), tcActShot, "drop-malformed", nil},
		{"gue unknown proto", with(gue(rs4, testGUEPort, in4), gueOff4+1, 17), tcActShot, "drop-malformed", nil},
		{"gue short", gueRaw(rs4, testGUEPort, []byte{0, 4, 0}), tcActShot, "drop-malformed", nil},
		{"gue empty", gueRaw(rs4, testGUEPort, nil), tcActShot, "drop-malformed", nil},
		{"gue version 1 bad nibble", gueRaw(rs4, testGUEPort, with(in4, 0, 0x55)), tcActShot, "drop-malformed", nil},
		{"gue inner truncated", gue(rs4, testGUEPort, in4[:19]), tcActShot, "drop-malformed", nil},
		{"ipip inner truncated", outer(rs4, 4, in4[:10]).Bytes(), tcActShot, "drop-malformed", nil},
		{"ipip inner ipv6 truncated", outer(rs4, 41, in6[:39]).Bytes(), tcActShot, "drop-malformed", nil},
		{"ipip proto 4 with ipv6 inside", outer(rs4, 4, in6).Bytes(), tcActShot, "drop-malformed", nil},
		{"ipip proto 41 with ipv4 inside", outer(rs4, 41, in4).Bytes(), tcActShot, "drop-malformed", nil},
		{"ipip inner ihl 4", outer(rs4, 4, with(in4, 0, 0x44)).Bytes(), tcActShot, "drop-malformed", nil},

		{"gre 4in4", gre(rs4, 0, in4), tcActOK, "decap-gre", decapsulated(in4)},
		{"gre 6in6", gre(rs6, 0, in6), tcActOK, "decap-gre", decapsulated(in6)},
		{"gre 4in6", gre(rs6, 0, in4), tcActOK, "decap-gre", decapsulated(in4)},
		{"gre 6in4", gre(rs4, 0, in6), tcActOK, "decap-gre", decapsulated(in6)},
		{"gre csum 4in4", gre(rs4, greC, in4), tcActOK, "decap-gre", decapsulated(in4)},
		{"gre csum 6in6", gre(rs6, greC, in6), tcActOK, "decap-gre", decapsulated(in6)},
		{"gre csum odd length", gre(rs4, greC, oddIn4), tcActOK, "decap-gre", decapsulated(oddIn4)},
		{"gre csum several chunks", gre(rs6, greC, bigIn6), tcActOK, "decap-gre", decapsulated(bigIn6)},
		{"gre csum trailing bytes", trailer(gre(rs4, greC, tinyIn4)), tcActOK, "decap-gre", trailer(decapsulated(tinyIn4))},
		{"gre csum wrong", flip(gre(rs4, greC, in4), len(gre(rs4, greC, in4))-1), tcActShot, "drop-bad-checksum", nil},
		{"gre csum wrong several chunks", flip(gre(rs6, greC, bigIn6), ethOff+40+200), tcActShot, "drop-bad-checksum", nil},
		{"gre csum field wrong", flip(gre(rs4, greC, in4), greOff4+4), tcActShot, "drop-bad-checksum", nil},
		{"gre inner not a vip", gre(rs4, 0, not4), tcActOK, "pass-not-vip", nil},
		{"gre csum inner not a vip", gre(rs6, greC, not6), tcActOK, "pass-not-vip", nil},
		{"gre key", greRaw(rs4, []byte{0x20, 0, 8, 0, 0, 0, 0, 7}, in4), tcActOK, "pass-gre-options", nil},
		{"gre sequence number", greRaw(rs4, []byte{0x10, 0, 8, 0, 0, 0, 0, 1}, in4), tcActOK, "pass-gre-options", nil},
		{"gre routing bit", greRaw(rs4, []byte{0x40, 0, 8, 0}, in4), tcActShot, "drop-malformed", nil},
		{"gre recursion bits", greRaw(rs4, []byte{0x01, 0, 8, 0}, in4), tcActShot, "drop-malformed", nil},
		{"gre version 1 (pptp)", greRaw(rs4, []byte{0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1}, in4), tcActOK, "pass-not-tunnel", nil},
		{"gre ethernet inside", greRaw(rs4, []byte{0, 0, 0x65, 0x58}, in4), tcActOK, "pass-not-tunnel", nil},
		{"gre short", outer(rs4, 47, []byte{0, 0, 8}).Bytes(), tcActShot, "drop-malformed", nil},
		{"gre csum short", outer(rs4, 47, []byte{0x80, 0, 8, 0, 0}).Bytes(), tcActShot, "drop-malformed", nil},
		{"gre inner truncated", greRaw(rs4, []byte{0, 0, 8, 0}, in4[:12]), tcActShot, "drop-malformed", nil},
		{"gre ipv4 protocol with ipv6 inside", greRaw(rs4, []byte{0, 0, 8, 0}, in6), tcActShot, "drop-malformed", nil},
		{"gre fragment", fragment(gre(rs4, 0, in4), 0x2000), tcActOK, "pass-fragment", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := d.Counters()
			if err != nil {
				t.Fatal(err)
			}
			opts := ebpf.RunOptions{Data: tc.frame, DataOut: make([]byte, len(tc.frame)+256)}
			ret, err := d.objs.XlvsDecap.Run(&opts)
			if err != nil {
				t.Fatal(err)
			}
			if ret != tc.action {
				t.Errorf("action %d, want %d", ret, tc.action)
			}
			want := tc.want
			if want == nil {
				want = tc.frame
			}
			if !bytes.Equal(opts.DataOut, want) {
				t.Errorf("output frame\n got %x\nwant %x", opts.DataOut, want)
			}
			after, err := d.Counters()
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range after {
				delta := v - before[name]
				if name == tc.counter && delta != 1 || name != tc.counter && delta != 0 {
					t.Errorf("counter %s moved by %d (want only %s to move, by 1): %v", name, delta, tc.counter, after)
				}
			}
		})
	}
}

func TestGUEPortZeroTurnsGUEOff(t *testing.T) {
	d := loadT(t)
	if err := d.SetGUEPort(0); err != nil {
		t.Fatal(err)
	}
	frame := gue(rs4, 0, innerUDP(vip4))
	opts := ebpf.RunOptions{Data: frame, DataOut: make([]byte, len(frame))}
	if ret, err := d.objs.XlvsDecap.Run(&opts); err != nil || ret != tcActOK {
		t.Fatalf("run: %d, %v", ret, err)
	}
	if !bytes.Equal(opts.DataOut, frame) {
		t.Errorf("UDP to port 0 changed with GUE off:\n got %x\nwant %x", opts.DataOut, frame)
	}
	c, err := d.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c["pass-not-tunnel"] != 1 {
		t.Errorf("counters %v, want pass-not-tunnel 1", c)
	}
}

func TestSetVIPs(t *testing.T) {
	d := loadT(t)
	a, b := netip.MustParseAddr("198.18.0.7"), netip.MustParseAddr("fd00::7")
	for _, set := range [][]netip.Addr{{a}, {a, b, vip4}, {b}, nil} {
		if err := d.SetVIPs(set); err != nil {
			t.Fatal(err)
		}
		got, err := d.VIPs()
		if err != nil {
			t.Fatal(err)
		}
		want := map[netip.Addr]bool{}
		for _, v := range set {
			want[v] = true
		}
		have := map[netip.Addr]bool{}
		for _, v := range got {
			have[v] = true
		}
		if !maps.Equal(have, want) || len(got) != len(set) {
			t.Errorf("after SetVIPs(%v): VIPs() = %v", set, got)
		}
	}
	// An IPv4 VIP given as ::ffff:a.b.c.d is the same IPv4 VIP.
	if err := d.SetVIPs([]netip.Addr{netip.MustParseAddr("::ffff:198.18.0.7")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.VIPs(); len(got) != 1 || got[0] != a {
		t.Errorf("mapped VIP: VIPs() = %v, want [%v]", got, a)
	}
	if err := d.SetVIPs([]netip.Addr{{}}); err == nil {
		t.Error("SetVIPs accepted the zero address")
	}
	if err := d.SetVIPs(make([]netip.Addr, MaxVIPs+1)); err == nil {
		t.Error("SetVIPs accepted more than MaxVIPs")
	}
}

func TestMapCapacity(t *testing.T) {
	spec, err := loadDecap()
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.Maps[decapMapVips].MaxEntries; got != MaxVIPs {
		t.Errorf("vips max_entries %d, MaxVIPs %d", got, MaxVIPs)
	}
	if got := spec.Maps[decapMapCounters].MaxEntries; int(got) != len(CounterNames) {
		t.Errorf("counters max_entries %d, %d names", got, len(CounterNames))
	}
}

func TestGREOffPassesGRE(t *testing.T) {
	d := loadT(t)
	if on, err := d.GRE(); err != nil || !on {
		t.Fatalf("GRE() = %v, %v after Load with GRE", on, err)
	}
	if err := d.SetGRE(false); err != nil {
		t.Fatal(err)
	}
	if on, err := d.GRE(); err != nil || on {
		t.Fatalf("GRE() = %v, %v after SetGRE(false)", on, err)
	}
	if port, err := d.GUEPort(); err != nil || port != testGUEPort {
		t.Fatalf("SetGRE changed the GUE port: %d, %v", port, err)
	}
	for _, frame := range [][]byte{gre(rs4, greC, innerUDP(vip4)), fragment(gre(rs4, 0, innerUDP(vip4)), 0x2000)} {
		opts := ebpf.RunOptions{Data: frame, DataOut: make([]byte, len(frame))}
		if ret, err := d.objs.XlvsDecap.Run(&opts); err != nil || ret != tcActOK {
			t.Fatalf("run: %d, %v", ret, err)
		}
		if !bytes.Equal(opts.DataOut, frame) {
			t.Errorf("GRE changed with GRE off:\n got %x\nwant %x", opts.DataOut, frame)
		}
	}
	c, err := d.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c["pass-not-tunnel"] != 2 {
		t.Errorf("counters %v, want pass-not-tunnel 2", c)
	}
	if err := d.SetGUEPort(7000); err != nil {
		t.Fatal(err)
	}
	if err := d.SetGRE(true); err != nil {
		t.Fatal(err)
	}
	if port, _ := d.GUEPort(); port != 7000 {
		t.Errorf("SetGRE(true) changed the GUE port to %d", port)
	}
}
