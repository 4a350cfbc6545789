package pktgen

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var (
	genMAC  = testpkt.MAC("02:00:00:00:01:02")
	peerMAC = testpkt.MAC("02:00:00:00:01:01")
)

// specs are the shapes the frame tests cover: both families, every kind,
// the smallest and the largest frames, several VIPs.
func specs(t *testing.T) map[string]Spec {
	t.Helper()
	base := func(kind Kind, src, sports string, size int, vips ...string) Spec {
		s := Spec{Kind: kind, DstPort: 80, FrameSize: size, SrcMAC: genMAC[:], DstMAC: peerMAC[:]}
		var err error
		if s.SrcAddrs, err = ParseAddrRange(src); err != nil {
			t.Fatal(err)
		}
		if s.SrcPorts, err = ParsePortRange(sports); err != nil {
			t.Fatal(err)
		}
		for _, v := range vips {
			s.VIPs = append(s.VIPs, netip.MustParseAddr(v))
		}
		return s
	}
	return map[string]Spec{
		"udp4-64":    base(UDP, "198.18.1.0/24", "1024-1100", 64, "198.18.0.100", "198.18.0.101"),
		"syn4-64":    base(TCPSyn, "198.18.1.2-198.18.2.9", "40000-40009", 64, "198.18.0.100"),
		"ack4-1518":  base(TCPAck, "198.18.1.2", "1-65535", 1518, "198.18.0.100"),
		"udp6-90":    base(UDP, "fd00:1::fffe-fd00:1::1:3", "5000-5003", 90, "fd00:18::100", "fd00:18::101", "fd00:18::102"),
		"syn6-78":    base(TCPSyn, "fd00:1::/120", "40000", 78, "fd00:18::100"),
		"ack6-1000":  base(TCPAck, "fd00:1::2", "1000-2000", 1000, "fd00:18::100"),
		"udp4-odd65": base(UDP, "198.18.1.2", "1000-1001", 65, "198.18.0.100"),
	}
}

// TestWriteFlowChecksums builds the frames of many flows of every spec
// and checks what a receiver would: addresses, ports, flags, lengths and
// checksums recomputed in full by the independent checker.
func TestWriteFlowChecksums(t *testing.T) {
	for name, s := range specs(t) {
		t.Run(name, func(t *testing.T) {
			tmpl, err := NewTemplate(s)
			if err != nil {
				t.Fatal(err)
			}
			spec := tmpl.Spec()
			if got, want := tmpl.Len(), s.FrameSize-4; got != want {
				t.Fatalf("frame length %d, want %d", got, want)
			}
			frame := tmpl.Frame()
			// Rewrite the same buffer flow after flow, as the UMEM
			// and the live-frames pages are, in a scattered order.
			for k := uint32(0); k < 3000; k++ {
				i := k * 7919 % (spec.Flows + 13)
				tmpl.WriteFlow(frame, i)
				src, sport, dst := spec.Flow(i)
				checks := []testpkt.Checker{
					testpkt.DstMAC(peerMAC), testpkt.SrcMAC(genMAC),
					testpkt.Src(src), testpkt.Dst(dst), testpkt.SrcPort(sport), testpkt.DstPort(80),
					testpkt.ValidChecksums(),
				}
				switch s.Kind {
				case TCPSyn:
					checks = append(checks, testpkt.TCPFlags(header.TCPFlagSyn), testpkt.Payload(nil))
				case TCPAck:
					checks = append(checks, testpkt.TCPFlags(header.TCPFlagAck|header.TCPFlagPsh))
				}
				testpkt.Check(t, frame, checks...)
				if t.Failed() {
					t.Fatalf("flow %d (%v:%d -> %v)", i, src, sport, dst)
				}
			}
		})
	}
}

// TestFlowsDistinct checks that flows 0..Flows-1 are distinct tuples and
// flow Flows is flow 0 again.
func TestFlowsDistinct(t *testing.T) {
	s := specs(t)["udp4-64"]
	s.Flows = 0
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := uint32(256 * 77 * 2); s.Flows != want {
		t.Fatalf("Flows = %d, want ports × addresses × VIPs = %d", s.Flows, want)
	}
	type tuple struct {
		src, dst netip.Addr
		sport    uint16
	}
	seen := make(map[tuple]uint32, s.Flows)
	for i := range s.Flows {
		src, sport, dst := s.Flow(i)
		if pfx, _ := s.SrcAddrs.First.Prefix(24); !pfx.Contains(src) || sport < 1024 || sport > 1100 {
			t.Fatalf("flow %d = %v:%d out of the ranges", i, src, sport)
		}
		tu := tuple{src, dst, sport}
		if j, dup := seen[tu]; dup {
			t.Fatalf("flows %d and %d are both %v", j, i, tu)
		}
		seen[tu] = i
	}
	a, p, d := s.Flow(0)
	b, q, e := s.Flow(s.Flows)
	if a != b || p != q || d != e {
		t.Errorf("flow %d = %v:%d->%v, want flow 0 = %v:%d->%v", s.Flows, b, q, e, a, p, d)
	}
}

func TestSpecErrors(t *testing.T) {
	good := specs(t)["syn4-64"]
	for name, mutate := range map[string]func(*Spec){
		"v6 tcp too small":   func(s *Spec) { *s = specs(t)["syn6-78"]; s.FrameSize = 77 },
		"too large":          func(s *Spec) { s.FrameSize = 1519 },
		"too small":          func(s *Spec) { s.FrameSize = 63 },
		"more flows":         func(s *Spec) { s.Flows = 10*264 + 1 },
		"no vip":             func(s *Spec) { s.VIPs = nil },
		"mixed families":     func(s *Spec) { s.VIPs = append(s.VIPs, netip.MustParseAddr("fd00::1")) },
		"no dst mac":         func(s *Spec) { s.DstMAC = nil },
		"port 0":             func(s *Spec) { s.DstPort = 0 },
		"ports past 65535":   func(s *Spec) { s.SrcPorts = PortRange{First: 65000, Count: 600} },
		"addresses carrying": func(s *Spec) { s.SrcAddrs = AddrRange{First: netip.MustParseAddr("255.255.255.0"), Count: 300} },
	} {
		s := good
		s.VIPs = append([]netip.Addr(nil), good.VIPs...)
		mutate(&s)
		if _, err := NewTemplate(s); err == nil {
			t.Errorf("%s: NewTemplate accepted %+v", name, s)
		}
	}
	if _, err := NewTemplate(good); err != nil {
		t.Errorf("the good spec: %v", err)
	}
}

func TestParseRanges(t *testing.T) {
	for in, want := range map[string]AddrRange{
		"198.18.1.7":              {netip.MustParseAddr("198.18.1.7"), 1},
		"198.18.1.0/24":           {netip.MustParseAddr("198.18.1.0"), 256},
		"198.18.1.250-198.18.2.4": {netip.MustParseAddr("198.18.1.250"), 11},
		"fd00::fffe-fd00::1:1":    {netip.MustParseAddr("fd00::fffe"), 4},
	} {
		got, err := ParseAddrRange(in)
		if err != nil || got != want {
			t.Errorf("ParseAddrRange(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.2.3", "198.18.1.9-198.18.1.8", "198.18.1.1-fd00::1", "fd00::/64", "fd00::1-fd01::1", "fd00::ffff:fffe-fd00::1:0:1"} {
		if got, err := ParseAddrRange(bad); err == nil {
			t.Errorf("ParseAddrRange(%q) = %v, want an error", bad, got)
		}
	}
	if got, err := ParsePortRange("1024-65535"); err != nil || got != (PortRange{1024, 64512}) {
		t.Errorf("ParsePortRange = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "10-9", "65536", "a-b", ""} {
		if got, err := ParsePortRange(bad); err == nil {
			t.Errorf("ParsePortRange(%q) = %v, want an error", bad, got)
		}
	}
}

func TestWriteFlowAllocs(t *testing.T) {
	tmpl, err := NewTemplate(specs(t)["udp6-90"])
	if err != nil {
		t.Fatal(err)
	}
	frame := tmpl.Frame()
	i := uint32(0)
	if n := testing.AllocsPerRun(1000, func() { tmpl.WriteFlow(frame, i); i++ }); n != 0 {
		t.Errorf("WriteFlow allocates %.1f times per call", n)
	}
}

func BenchmarkWriteFlow(b *testing.B) {
	s := Spec{Kind: UDP, DstPort: 80, FrameSize: 64, SrcMAC: genMAC[:], DstMAC: peerMAC[:],
		SrcAddrs: AddrRange{netip.MustParseAddr("198.18.1.0"), 256}, SrcPorts: PortRange{1024, 4096},
		VIPs: []netip.Addr{netip.MustParseAddr("198.18.0.100")}}
	tmpl, err := NewTemplate(s)
	if err != nil {
		b.Fatal(err)
	}
	frame := tmpl.Frame()
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		tmpl.WriteFlow(frame, i)
		i++
	}
}
