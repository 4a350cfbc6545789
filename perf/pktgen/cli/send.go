package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/xsk"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// sendReport is the --json output of send.
type sendReport struct {
	Mode      string  `json:"mode"`
	Interface string  `json:"interface"`
	Kind      string  `json:"kind"`
	Flows     uint32  `json:"flows"`
	FrameSize int     `json:"frame_size"`
	TargetPPS float64 `json:"target_pps"`
	pktgen.Result
	Mpps float64 `json:"mpps"`
	Gbps float64 `json:"gbps"`
	// Error is set when the run failed after sending (rate not reached).
	Error string `json:"error,omitempty"`
}

type sendFlags struct {
	dev, mode, kind, src, sport, dport, rate, dstMAC, srcMAC string
	dst                                                      []string
	flows                                                    uint32
	size, cpu, queue                                         int
	count                                                    uint64
	duration                                                 time.Duration
	json                                                     bool
}

func runSend(e *env, args []string) error {
	var f sendFlags
	fs := flagSet(e, "send")
	fs.StringVar(&f.dev, "dev", "", "egress interface (required)")
	fs.StringVar(&f.mode, "mode", "live", "live (BPF_PROG_RUN live frames) or xsk (AF_XDP TX)")
	fs.StringVar(&f.kind, "proto", "udp", "udp, syn (TCP SYNs: new connections) or ack (TCP ACKs with payload: established flows)")
	fs.StringVar(&f.src, "src", "198.18.1.2", "source addresses: a, a-b or a prefix")
	fs.StringVar(&f.sport, "sport", "1024-65535", "source ports: p or p-q")
	fs.StringSliceVar(&f.dst, "dst", nil, "destination address(es), the VIPs (repeatable or comma-separated; required)")
	fs.StringVar(&f.dport, "dport", "80", "destination port")
	fs.Uint32Var(&f.flows, "flows", 1, "distinct flows (0: every port × address × VIP combination)")
	fs.IntVar(&f.size, "size", 64, "frame size in bytes, FCS included (64..1518)")
	fs.StringVar(&f.rate, "rate", "max", "frames per second (500k, 2M) or max")
	fs.DurationVar(&f.duration, "duration", 0, "run this long (0: until --count or Ctrl-C)")
	fs.Uint64Var(&f.count, "count", 0, "send exactly this many frames and stop")
	fs.StringVar(&f.dstMAC, "dst-mac", "", "destination MAC (default: the neighbour entry of the first VIP's next hop)")
	fs.StringVar(&f.srcMAC, "src-mac", "", "source MAC (default: the interface's)")
	fs.IntVar(&f.cpu, "cpu", -1, "pin the sending thread to this CPU")
	fs.IntVar(&f.queue, "queue", 0, "TX queue (xsk mode)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	rate, err := parseRate(f.rate)
	if err != nil {
		return err
	}
	pacer, err := pktgen.NewPacer(rate, 0)
	if err != nil {
		return usageErr("%v", err)
	}
	if f.mode != "live" && f.mode != "xsk" {
		return usageErr("--mode %q: want live or xsk", f.mode)
	}
	spec, err := f.spec()
	if err != nil {
		return usageErr("%v", err)
	}
	// Everything but the MACs (which may come from the interface and its
	// neighbours) is checked before any interface is touched.
	check := spec
	placeholder := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	if check.SrcMAC == nil {
		check.SrcMAC = placeholder
	}
	if check.DstMAC == nil {
		check.DstMAC = placeholder
	}
	if err := check.Validate(); err != nil {
		return usageErr("%v", err)
	}
	if f.duration == 0 && f.count == 0 && !e.tty {
		return usageErr("--duration or --count is needed when not on a terminal")
	}
	if err := pin(f.cpu); err != nil {
		return err
	}
	l, err := link(f.dev)
	if err != nil {
		return err
	}
	if spec.SrcMAC == nil {
		spec.SrcMAC = l.Attrs().HardwareAddr
	}
	if spec.DstMAC == nil {
		if spec.DstMAC, err = neighbour(l, spec.VIPs[0]); err != nil {
			return err
		}
	}
	tmpl, err := pktgen.NewTemplate(spec)
	if err != nil {
		return usageErr("%v", err)
	}
	sender, closer, err := openSender(f.mode, tmpl, l.Attrs().Index, f.queue, f.count)
	if err != nil {
		return err
	}
	defer closer()
	o := pktgen.RunOptions{Duration: f.duration, Count: f.count, Pacer: pacer, Stop: e.stop}
	if e.tty && !f.json {
		o.Progress = func(p pktgen.Progress) {
			fmt.Fprintf(e.stdout, "%6s  sent %12d  %s\n", seconds(p.Elapsed), p.Sent, mpps(p.PPS))
		}
	}
	res, runErr := pktgen.Run(sender, o)
	if runErr != nil && res.Sent == 0 {
		return runErr
	}
	s := tmpl.Spec()
	r := sendReport{Mode: f.mode, Interface: f.dev, Kind: s.Kind.String(), Flows: s.Flows, FrameSize: s.FrameSize,
		TargetPPS: rate, Result: res, Mpps: res.PPS / 1e6, Gbps: res.PPS * float64(s.FrameSize) * 8 / 1e9}
	if runErr != nil {
		r.Error = runErr.Error()
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "sent %d frames (%s, %d flows, %d bytes) in %s: %s, %.2f Gb/s (%s mode)\n",
			res.Sent, r.Kind, r.Flows, r.FrameSize, seconds(res.Elapsed), mpps(res.PPS), r.Gbps, f.mode)
	}
	return runErr
}

// spec turns the flags into a traffic spec.
func (f *sendFlags) spec() (pktgen.Spec, error) {
	var s pktgen.Spec
	var err error
	if s.Kind, err = pktgen.ParseKind(f.kind); err != nil {
		return s, err
	}
	if s.SrcAddrs, err = pktgen.ParseAddrRange(f.src); err != nil {
		return s, err
	}
	if s.SrcPorts, err = pktgen.ParsePortRange(f.sport); err != nil {
		return s, err
	}
	dport, err := pktgen.ParsePortRange(f.dport)
	if err != nil || dport.Count != 1 {
		return s, fmt.Errorf("%w: --dport %q: want one port", pktgen.ErrBadSpec, f.dport)
	}
	s.DstPort = dport.First
	if len(f.dst) == 0 {
		return s, fmt.Errorf("%w: --dst is required", pktgen.ErrBadSpec)
	}
	for _, d := range f.dst {
		a, err := netip.ParseAddr(strings.TrimSpace(d))
		if err != nil {
			return s, fmt.Errorf("%w: --dst %q: %v", pktgen.ErrBadSpec, d, err)
		}
		s.VIPs = append(s.VIPs, a)
	}
	s.Flows, s.FrameSize = f.flows, f.size
	if s.DstMAC, err = parseMAC("dst-mac", f.dstMAC); err != nil {
		return s, err
	}
	if s.SrcMAC, err = parseMAC("src-mac", f.srcMAC); err != nil {
		return s, err
	}
	return s, nil
}

// openSender makes the sender of mode; limit caps what live mode sends.
func openSender(mode string, t *pktgen.Template, ifindex, queue int, limit uint64) (pktgen.Sender, func(), error) {
	if mode == "xsk" {
		x, err := pktgen.NewXSKSender(t, ifindex, pktgen.XSKOptions{Queue: queue, Mode: xsk.ModeAuto})
		if err != nil {
			return nil, nil, err
		}
		return x, func() { x.Close() }, nil
	}
	l, err := pktgen.NewLive(t, ifindex, limit)
	if err != nil {
		return nil, nil, err
	}
	return l, func() { l.Close() }, nil
}

// neighbour returns the MAC of the next hop towards dst out of l: the
// kernel's neighbour entry, after prodding the kernel to resolve it with a
// datagram to the discard port when it has none.
func neighbour(l netlink.Link, dst netip.Addr) (net.HardwareAddr, error) {
	hop := dst
	if routes, err := netlink.RouteGet(dst.AsSlice()); err == nil && len(routes) > 0 && routes[0].Gw != nil {
		if gw, ok := netip.AddrFromSlice(routes[0].Gw); ok {
			hop = gw.Unmap()
		}
	}
	family := netlink.FAMILY_V4
	if hop.Is6() {
		family = netlink.FAMILY_V6
	}
	deadline := time.Now().Add(time.Second)
	for prodded := false; ; {
		neighs, err := netlink.NeighList(l.Attrs().Index, family)
		if err != nil {
			return nil, fmt.Errorf("neighbours of %s: %w", l.Attrs().Name, err)
		}
		for _, n := range neighs {
			a, _ := netip.AddrFromSlice(n.IP)
			if a.Unmap() == hop && len(n.HardwareAddr) == 6 && n.State&(netlink.NUD_REACHABLE|netlink.NUD_STALE|netlink.NUD_PERMANENT|netlink.NUD_DELAY|netlink.NUD_PROBE|netlink.NUD_NOARP) != 0 {
				return n.HardwareAddr, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no neighbour entry for %v on %s: pass --dst-mac", hop, l.Attrs().Name)
		}
		if !prodded {
			if c, err := net.Dial("udp", netip.AddrPortFrom(hop, 9).String()); err == nil {
				_, _ = c.Write([]byte("xlvs-pktgen"))
				c.Close()
			}
			prodded = true
		}
		time.Sleep(10 * time.Millisecond)
	}
}
