package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlvs/xlvs/dataplane/header"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// sendRaw transmits frames as they are out of interface dev of ns through
// an AF_PACKET socket: no kernel stack on the way to fix them up.
func sendRaw(ns *netlab.NS, dev string, frames [][]byte) error {
	ifindex, err := ns.LinkIndex(dev)
	if err != nil {
		return err
	}
	return ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		defer unix.Close(fd)
		for i, f := range frames {
			sa := &unix.SockaddrLinklayer{Ifindex: ifindex, Halen: 6}
			copy(sa.Addr[:], f[:6])
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return fmt.Errorf("sending frame %d (%d bytes): %w", i, len(f), err)
			}
		}
		return nil
	})
}

func mac(t *testing.T, ns *netlab.NS, dev string) header.MAC {
	t.Helper()
	hw, err := ns.MAC(dev)
	if err != nil {
		t.Fatal(err)
	}
	var m header.MAC
	copy(m[:], hw)
	return m
}

// malformedCase is one kind of bad frame and the counters it must move.
type malformedCase struct {
	name  string
	frame func(sport uint16) []byte
	// drop is the xlvsd drop counter that must go up by exactly one per
	// frame; empty for frames the XDP program passes to the kernel.
	drop string
	// xdp is the XDP program's counter for the frame.
	xdp string
}

// TestMalformedFramesAreCountedAndDropped sends broken frames to the VIPs
// from the client's eth0 with a raw socket and checks, through the control
// socket's counters, that xlvsd dropped each with its precise reason (and
// that the XDP program passed the non-IP and short ones to the kernel);
// then that good traffic still flows and that no UMEM frame was lost.
func TestMalformedFramesAreCountedAndDropped(t *testing.T) {
	h := newHarness(t, "e2ebad", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	h.addService("-t", labtraffic.VIP6, labtraffic.TCPPort, "rr", 1, 1)
	// The lan namespace's bridge must forward the frames as they are:
	// with br_netfilter loaded (bridge-nf-call-iptables=1 is the default
	// in every namespace then), it validates IP headers and silently drops
	// IHL < 5, lengths beyond the frame and truncated headers before they
	// reach the director.
	for _, k := range []string{"iptables", "ip6tables"} {
		p := "net/bridge/bridge-nf-call-" + k
		if _, err := h.dr.LAN.Sysctl(p); err == nil {
			if err := h.dr.LAN.SetSysctl(p, "0"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Check the services work (and resolve the neighbours on the way).
	h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String(), vip6tcp.String()}, Conns: 2, Bytes: 1 << 10})
	h.quiesce()

	src, dst := mac(t, h.dr.Client, "eth0"), mac(t, h.dr.Director, "eth0")
	c4, c6 := labtraffic.ClientAddr4, labtraffic.ClientAddr6
	v4 := testpkt.Eth(src, dst).IPv4(c4, labtraffic.VIP4)
	v6 := testpkt.Eth(src, dst).IPv6(c6, labtraffic.VIP6)
	syn := func(b testpkt.Builder, sport uint16) testpkt.Builder {
		return b.TCP(sport, labtraffic.TCPPort, packet.TCPSyn).Payload([]byte("0123456789abcdef"))
	}
	cases := []malformedCase{
		{"truncated TCP header", func(p uint16) []byte {
			return v4.Transport(header.IPProtoTCP, []byte{byte(p >> 8), byte(p), 0, 80, 0, 0, 0, 1, 0, 0}).Bytes()
		}, "drop-truncated", "xdp-steer-irregular"},
		{"IPv4 IHL 4", func(p uint16) []byte { return syn(v4.IHL(4), p).Bytes() }, "drop-bad-ihl", "xdp-steer-irregular"},
		{"IPv4 options", func(p uint16) []byte {
			return syn(v4.IPv4Options([]byte{1, 1, 1, 1}), p).Bytes()
		}, "drop-ipv4-options", "xdp-steer-irregular"},
		{"IPv4 total length beyond the frame", func(p uint16) []byte {
			return syn(v4.TotalLength(1000), p).Bytes()
		}, "drop-bad-length", "xdp-steer-irregular"},
		{"IPv4 first fragment", func(p uint16) []byte {
			return syn(v4.ID(p).Fragment(0, true), p).Bytes()
		}, "drop-fragment", "xdp-steer-irregular"},
		{"IPv4 later fragment", func(p uint16) []byte {
			return syn(v4.ID(p).Fragment(24, false), p).Bytes()
		}, "drop-fragment", "xdp-steer-irregular"},
		{"IPv6 fragment header", func(p uint16) []byte {
			return syn(v6.ID(p).Fragment(0, true), p).Bytes()
		}, "drop-fragment", "xdp-steer-irregular"},
		{"unknown EtherType", func(p uint16) []byte {
			return syn(v4.EtherType(0x88b5), p).Bytes()
		}, "", "xdp-pass-not-ip"},
		// AF_PACKET refuses frames shorter than the Ethernet header
		// (EINVAL), so the shortest frames are the header alone and the
		// header with a few bytes of IPv4.
		{"Ethernet header alone (EtherType IPv4)", func(p uint16) []byte {
			return syn(v4, p).Truncate(header.EthernetMinimumSize).Bytes()
		}, "", "xdp-pass-malformed"},
		{"short frame (Ethernet and 6 bytes of IPv4)", func(p uint16) []byte {
			return syn(v4, p).Truncate(header.EthernetMinimumSize + 6).Bytes()
		}, "", "xdp-pass-malformed"},
	}
	const each = 3
	var frames [][]byte
	wantDrops, wantXDP := map[string]uint64{}, map[string]uint64{}
	var steered uint64
	for i, c := range cases {
		for k := range each {
			frames = append(frames, c.frame(uint16(41000+i*10+k)))
		}
		t.Logf("%s: %d frames of %d bytes, expect %s", c.name, each, len(frames[len(frames)-1]), cmp.Or(c.drop, c.xdp))
		if c.drop != "" {
			wantDrops[c.drop] += each
			steered += each
		}
		wantXDP[c.xdp] += each
	}

	before := h.counters()
	t.Logf("counters before the malformed frames: %v", before)
	if err := sendRaw(h.dr.Client, "eth0", frames); err != nil {
		t.Fatal(err)
	}
	delta := func(c map[string]uint64, k string) uint64 { return c[k] - before[k] }
	var after map[string]uint64
	waitFor(t, 10*time.Second, func() (bool, string) {
		after = h.counters()
		for k, n := range wantDrops {
			if delta(after, k) < n {
				return false, fmt.Sprintf("%s went up by %d, want %d", k, delta(after, k), n)
			}
		}
		for k, n := range wantXDP {
			if delta(after, k) < n {
				return false, fmt.Sprintf("%s went up by %d, want %d", k, delta(after, k), n)
			}
		}
		return true, ""
	})
	time.Sleep(200 * time.Millisecond) // let anything counted twice show up
	after = h.counters()
	for _, k := range slices.Sorted(maps.Keys(after)) {
		got := delta(after, k)
		switch {
		case strings.HasPrefix(k, "drop-"):
			if got != wantDrops[k] {
				t.Errorf("%s went up by %d, want %d", k, got, wantDrops[k])
			}
		case k == "xdp-steer-irregular", k == "xdp-pass-malformed":
			// Nothing else on the segment is irregular or malformed.
			if got != wantXDP[k] {
				t.Errorf("%s went up by %d, want %d", k, got, wantXDP[k])
			}
		case k == "xdp-pass-not-ip":
			// ARP may pass too.
			if got < wantXDP[k] {
				t.Errorf("%s went up by %d, want at least %d", k, got, wantXDP[k])
			}
		case k == "rx-packets":
			// A late retransmission of the earlier traffic may
			// still arrive on a loaded machine: it is forwarded,
			// the bad frames never are.
			if tx := delta(after, "tx-packets"); got < tx || got-tx != steered {
				t.Errorf("rx-packets went up by %d and tx-packets by %d, want %d more received than sent (the steered bad frames)", got, tx, steered)
			}
		case k == "conns-created":
			if got != 0 {
				t.Errorf("%s went up by %d after bad frames only, want 0", k, got)
			}
		}
	}

	// The worker is alive and well.
	h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String(), vip6tcp.String()}, Conns: 10, Bytes: 16 << 10})
	checkFrameAccounting(t, d.stop(), 1)
}
