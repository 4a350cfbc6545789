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
	d, err := Load(Options{VIPs: []netip.Addr{vip4, vip6}, GUEPort: testGUEPort})
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
