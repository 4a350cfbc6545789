//go:build linux

package pktgen

import (
	"net/netip"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/xlvs/xlvs/internal/testpkt"
)

// TestSinkCounts runs the sink program on frames of every kind with
// BPF_PROG_RUN: TCP, UDP and IP-in-IP (what the director forwards in DR,
// NAT and TUN mode) are counted and dropped, or passed in pass mode; ARP
// and ICMP go to the kernel uncounted.
func TestSinkCounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatal(err)
	}
	var objs sinkObjects
	if err := loadSinkObjects(&objs, nil); err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	s := &Sink{objs: objs}
	mac := testpkt.MAC("02:00:00:00:00:01")
	a4, b4 := netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("198.18.2.11")
	a6, b6 := netip.MustParseAddr("fd00:1::2"), netip.MustParseAddr("fd00:2::11")
	inner4 := testpkt.Eth(mac, mac).IPv4(a4, b4).UDP(1024, 9).IP()
	inner6 := testpkt.Eth(mac, mac).IPv6(a6, b6).UDP(1024, 9).IP()
	const (
		xdpDrop = 1
		xdpPass = 2
	)
	frames := []struct {
		name    string
		frame   []byte
		counted bool
	}{
		{"IPv4 UDP", testpkt.Eth(mac, mac).IPv4(a4, b4).UDP(1024, 9).Bytes(), true},
		{"IPv4 TCP SYN", testpkt.Eth(mac, mac).IPv4(a4, b4).TCP(1024, 80, 0x02).Bytes(), true},
		{"IPv6 TCP", testpkt.Eth(mac, mac).IPv6(a6, b6).TCP(1024, 80, 0x10).Bytes(), true},
		{"IPIP", testpkt.Eth(mac, mac).IPv4(a4, b4).Transport(4, inner4).Bytes(), true},
		{"IPv6 in IPv4", testpkt.Eth(mac, mac).IPv4(a4, b4).Transport(41, inner6).Bytes(), true},
		{"ICMP echo", testpkt.Eth(mac, mac).IPv4(a4, b4).ICMPv4(8, 0, []byte("ping")).Bytes(), false},
		{"ARP", testpkt.Eth(mac, mac).EtherType(0x0806).Payload(make([]byte, 28)).Bytes(), false},
	}
	for _, pass := range []bool{false, true} {
		c := sinkSinkConfig{}
		if pass {
			c.Pass = 1
		}
		if err := objs.Config.Put(uint32(0), &c); err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			before, err := s.Read()
			if err != nil {
				t.Fatal(err)
			}
			ret, err := objs.Sink.Run(&ebpf.RunOptions{Data: f.frame})
			if err != nil {
				t.Fatal(err)
			}
			after, err := s.Read()
			if err != nil {
				t.Fatal(err)
			}
			want, wantPkts, wantBytes := uint32(xdpPass), uint64(0), uint64(0)
			if f.counted {
				wantPkts, wantBytes = 1, uint64(len(f.frame))
				if !pass {
					want = xdpDrop
				}
			}
			if d := after.Sub(before); ret != want || d.Packets != wantPkts || d.Bytes != wantBytes {
				t.Errorf("pass=%v %s: verdict %d, counted %d frames %d bytes; want verdict %d, %d frames %d bytes",
					pass, f.name, ret, d.Packets, d.Bytes, want, wantPkts, wantBytes)
			}
		}
	}
}
