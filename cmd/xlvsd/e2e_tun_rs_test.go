package main

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// tunnelCase is one tunnel type as ipvsadm and xlvs-rs spell it, with its
// overhead over an IPv4 and over an IPv6 outer header.
type tunnelCase struct {
	name     string
	adm      []string // ipvsadm -i options
	rs       []string // xlvs-rs up tunnel options
	over4    int
	over6    int
	wantInfo string // ipvsadm -L -n --tun-info column
}

// tunnelCases go from the smallest overhead to the largest, so that each
// one's path MTU is at or below the one the client learnt before: every
// case with a larger overhead sees the director's fragmentation-needed /
// packet-too-big again.
var tunnelCases = []tunnelCase{
	{"ipip", nil, []string{"--tun-type", "ipip"}, 20, 40, "ipip"},
	{"gre", []string{"--tun-type", "gre"}, []string{"--tun-type", "gre"}, 24, 44, "gre:-c"},
	{"gre-csum", []string{"--tun-type", "gre", "--tun-csum"}, []string{"--tun-type", "gre"}, 28, 48, "gre:+c"},
	{"gue", []string{"--tun-type", "gue", "--tun-port", "6080"}, []string{"--tun-type", "gue", "--tun-port", "6080"}, 32, 52, "gue:6080:-c"},
	{"gue-csum", []string{"--tun-type", "gue", "--tun-port", "6080", "--tun-csum"}, []string{"--tun-type", "gue", "--tun-port", "6080"}, 32, 52, "gue:6080:+c"},
}

// xlvsRS runs the built xlvs-rs in ns and fails the test unless it exits 0.
func (h *harness) xlvsRS(ns *netlab.NS, args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(h.bin, "xlvs-rs"), args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := ns.Start(cmd); err != nil {
		h.t.Fatalf("starting xlvs-rs: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		h.t.Fatalf("xlvs-rs %q in %s: %v\n%s", args, ns, err, out.String())
	}
	return out.String()
}

// TestTunnelToXlvsRS: a real xlvsd forwards in tunnel mode to real servers
// prepared by the real xlvs-rs (VIPs on lo, tc-BPF decapsulator on the
// tunnel side), which answer the client directly by their own link. For
// IPIP, GRE, GRE with checksum, GUE and GUE with checksum: TCP transfers
// both ways and UDP, IPv4 and IPv6, over two real servers; and path MTU
// discovery completing: the client's full-size DF segments are too big
// for the tunnel, the director answers with fragmentation-needed /
// packet-too-big, the client's kernel lowers its path MTU to the
// tunnel's, and the transfers succeed.
func TestTunnelToXlvsRS(t *testing.T) {
	h := newLabHarness(t, "tunrs")
	tun, err := labtraffic.NewTUN(h.lab, labtraffic.TUNOptions{RealServers: 2})
	if err != nil {
		t.Fatalf("building the TUN lab: %v", err)
	}
	states := make([]string, len(tun.RS))
	for i := range tun.RS {
		states[i] = filepath.Join(t.TempDir(), "xlvs-rs.json")
	}
	rsUp := func(tc tunnelCase) {
		for i, rs := range tun.RS {
			args := append([]string{"up", "--vip", labtraffic.VIP4.String(), "--vip", labtraffic.VIP6.String(),
				"--mode", "tun", "--dev", "eth0", "--decap", "bpf", "--state", states[i]}, tc.rs...)
			h.xlvsRS(rs, args...)
		}
	}
	rsUp(tunnelCases[0])
	h.serve(&labtraffic.DR{LAN: tun.LAN, Client: tun.Client, Director: tun.Director, RS: tun.RS}, tun.ServeRealServers)
	d := h.startDirector("--interface", "eth1")
	vips := []string{labtraffic.VIP4.String(), labtraffic.VIP6.String()}
	for _, vip := range []string{ap(labtraffic.VIP4, 80), ap(labtraffic.VIP6, 80)} {
		h.adm("-A", "-t", vip, "-s", "rr")
	}
	for _, vip := range []string{ap(labtraffic.VIP4, 53), ap(labtraffic.VIP6, 53)} {
		h.adm("-A", "-u", vip, "-s", "rr")
	}
	setTunnel := func(op string, tc tunnelCase) {
		for i := 0; i < 2; i++ {
			for _, p := range []struct{ flag, port string }{{"-t", "80"}, {"-u", "53"}} {
				for j, vip := range vips {
					rip := labtraffic.NATRSAddr4(i).String()
					svc := vip + ":" + p.port
					if j == 1 {
						rip, svc = labtraffic.NATRSAddr6(i).String(), "["+vip+"]:"+p.port
					}
					h.adm(append([]string{op, p.flag, svc, "-r", rip, "-i"}, tc.adm...)...)
				}
			}
		}
	}
	setTunnel("-a", tunnelCases[0])

	for k, tc := range tunnelCases {
		if k > 0 {
			for i, rs := range tun.RS {
				h.xlvsRS(rs, "down", "--state", states[i])
			}
			rsUp(tc)
			setTunnel("-e", tc)
		}
		if info := h.adm("-L", "-n", "--tun-info"); strings.Count(info, " "+tc.wantInfo+" ") != 8 {
			t.Errorf("%s: --tun-info does not show 8 real servers with %q:\n%s", tc.name, tc.wantInfo, info)
		}
		before := h.counters()
		rep := h.traffic(labtraffic.Plan{
			TCP:   []string{ap(labtraffic.VIP4, 80), ap(labtraffic.VIP6, 80)},
			UDP:   []string{ap(labtraffic.VIP4, 53), ap(labtraffic.VIP6, 53)},
			Conns: 4, Datagrams: 4, Bytes: 64 << 10,
		})
		for _, tg := range rep.Targets {
			if tg.PerServer["rs1"] == 0 || tg.PerServer["rs2"] == 0 {
				t.Errorf("%s: %s %s answered by %v, want both real servers", tc.name, tg.Proto, tg.Addr, tg.PerServer)
			}
		}
		after := h.counters()
		// The client learnt a larger path MTU before (or none): its
		// full-size segments were too big and answered.
		if grew := k == 0 || tc.over4 > tunnelCases[k-1].over4; grew && after["drop-too-big-icmp-sent"] == before["drop-too-big-icmp-sent"] {
			t.Errorf("%s: the director sent no fragmentation-needed / packet-too-big", tc.name)
		}
		checkClientPMTU(t, tun.Client, labtraffic.VIP4.String(), 1500-tc.over4, tc.name)
		checkClientPMTU(t, tun.Client, labtraffic.VIP6.String(), 1500-tc.over6, tc.name)
		for i, rs := range tun.RS {
			st := h.xlvsRS(rs, "status", "--state", states[i])
			kind := strings.SplitN(tc.name, "-", 2)[0]
			if !strings.Contains(st, "decap-"+kind+" ") || strings.Contains(st, "decap-"+kind+" 0") {
				t.Errorf("%s: rs%d decapsulated no %s packet:\n%s", tc.name, i+1, kind, st)
			}
			if strings.Contains(st, "drop-bad-checksum") && !strings.Contains(st, "drop-bad-checksum 0") {
				t.Errorf("%s: rs%d dropped packets with a bad checksum:\n%s", tc.name, i+1, st)
			}
		}
	}
	if c := h.counters(); c["drop-no-next-hop"] != 0 || c["drop-no-headroom"] != 0 {
		t.Errorf("drops: no-next-hop %d, no-headroom %d", c["drop-no-next-hop"], c["drop-no-headroom"])
	}
	for i, rs := range tun.RS {
		h.xlvsRS(rs, "down", "--state", states[i])
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// checkClientPMTU checks the client kernel's path MTU to vip (what a
// connected UDP socket reports as IP_MTU / IPV6_MTU).
func checkClientPMTU(t *testing.T, client *netlab.NS, vip string, want int, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := client.DialUDP(ctx, net.JoinHostPort(vip, "9"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	level, opt := syscall.IPPROTO_IP, syscall.IP_MTU
	if strings.Contains(vip, ":") {
		level, opt = syscall.IPPROTO_IPV6, syscall.IPV6_MTU
	}
	var mtu int
	raw.Control(func(fd uintptr) { mtu, err = syscall.GetsockoptInt(int(fd), level, opt) })
	if err != nil || mtu != want {
		t.Errorf("%s: the client's path MTU to %s is %d (%v), want the tunnel's %d", what, vip, mtu, err, want)
	}
}
