package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// Groups of rows, as in the issue: (a) xlvs, (b) the userspace ceiling,
// (c) the kernel.
const (
	groupXLVS    = "a"
	groupCeiling = "b"
	groupKernel  = "c"
)

// path is one way of forwarding from dut eth0 to dut eth1: a row of the
// table per flow count.
type path struct {
	name  string
	group string
	// skip, when not empty, is why the row is not measured here.
	skip  string
	start func(b *bench) (running, error)
}

// running is a started path.
type running interface {
	// counters returns the path's own counters (nil when it has none).
	counters() (map[string]uint64, error)
	// stop tears the path down.
	stop() error
}

// method is a forwarding method of xlvs: a group of rows. A method that
// is not forwarded yet keeps its row with skip set (the hook for the next
// one: FULLNAT also needs local addresses, `xlvsadm -P -t VIP -z LIP -F
// eth1`, in startXLVS, and a sink that owns LIP's replies).
type method struct {
	name string // row label: ipvsadm -L's name, and the tunnel type
	// args are xlvsadm's real-server options.
	args []string
	// skip, when not empty, is why the method is not measured.
	skip string
	// topo, when set, gives the method's extra xlvsd flags and the
	// xlvsadm commands to run after the real servers are added.
	topo func(proto, svc string, connMax int) (daemon []string, adm [][]string)
}

// gueTunPort is the GUE port of the GUE tunnel rows.
const gueTunPort = 6080

var methods = []method{
	{name: "DR", args: []string{"-g"}},
	{name: "NAT", args: []string{"-m"}, topo: natTopo}, // reply records for every connection (nat.go)
	{name: "TUN IPIP", args: []string{"-i"}},
	{name: "TUN GUE", args: []string{"-i", "--tun-type", "gue", "--tun-port", strconv.Itoa(gueTunPort)}},
	{name: "FULLNAT", args: []string{"-b"}, topo: fullnatTopo}, // inbound only (fullnat.go)
}

// methodNamed returns the method called name (case-insensitive).
func methodNamed(name string) (method, bool) {
	for _, m := range methods {
		if strings.EqualFold(m.name, name) {
			return m, true
		}
	}
	return method{}, false
}

// xlvsPathName is the row label of method m with n workers.
func xlvsPathName(m method, n, cpus int) string {
	name := fmt.Sprintf("xlvs %s, %d worker", m.name, n)
	if n > 1 {
		name += "s"
	}
	if n+1 > cpus {
		name += " (cores shared with the generator)"
	}
	return name
}

// paths returns every row of the throughput table, in order.
func (b *bench) paths() []path {
	var ps []path
	for _, m := range methods {
		for _, workers := range b.workers {
			p := path{name: xlvsPathName(m, workers, b.cpus), group: groupXLVS, skip: m.skip}
			p.start = func(b *bench) (running, error) {
				d, err := b.startXLVS(m, workers, 1<<21, "-u")
				if err != nil {
					return nil, err
				}
				return d, nil
			}
			ps = append(ps, p)
		}
	}
	ps = append(ps,
		path{name: "bare AF_XDP forwarder (dataplane/xsk)", group: groupCeiling, start: (*bench).startForwarder},
		path{name: "kernel XDP redirect reflector", group: groupKernel, start: (*bench).startReflector},
		path{name: "Linux forwarding + nftables DNAT", group: groupKernel, start: (*bench).startNFT},
	)
	if _, err := exec.LookPath("nft"); err != nil {
		ps[len(ps)-1].skip = "the nft binary is missing: make bench-deps (apt-get install nftables)"
	}
	return ps
}

// workerCPUs returns xlvsd's --cpus for n workers: the director's CPU
// first, then the next ones, wrapping around to the generator's when the
// machine has too few.
func (b *bench) workerCPUs(n int) string {
	cpus := make([]string, n)
	for i := range cpus {
		cpus[i] = strconv.Itoa((b.dutCPU + i) % b.cpus)
	}
	return strings.Join(cpus, ",")
}

// director is a running xlvsd.
type director struct {
	p      *proc
	socket string
}

// startXLVS runs xlvsd on dut's two interfaces with workers workers and a
// service on the VIP (proto: xlvsadm's -u or -t) forwarding with method m
// to the two real servers, which the sink plays: it holds their addresses
// (and the VIP on lo for DR and TUN), counts what arrives and answers
// nothing, so NAT rows measure the inbound direction.
func (b *bench) startXLVS(m method, workers, connMax int, proto string) (*director, error) {
	socket := filepath.Join(b.tmp, "xlvs.sock")
	args := []string{"--interface", "eth0", "--interface", "eth1",
		"--queues", strconv.Itoa(workers), "--cpus", b.workerCPUs(workers), "--socket", socket,
		"--conn-max", strconv.Itoa(connMax)}
	if b.profileDir != "" {
		args = append(args, "--pprof", pprofAddr)
	}
	svc := fmt.Sprintf("%v:%d", vip, svcPort)
	var more [][]string
	if m.topo != nil {
		var extra []string
		extra, more = m.topo(proto, svc, connMax)
		args = append(args, extra...)
	}
	p, err := startIn(b.topo.dut, nil, b.bin("xlvsd"), args...)
	if err != nil {
		return nil, err
	}
	d := &director{p: p, socket: socket}
	if err := d.waitReady(); err != nil {
		d.stop()
		return nil, err
	}
	cmds := [][]string{{"-A", proto, svc, "-s", "rr"}}
	for _, rs := range rsAddrs {
		cmds = append(cmds, append([]string{"-a", proto, svc, "-r", fmt.Sprintf("%v:%d", rs, svcPort)}, m.args...))
	}
	cmds = append(cmds, more...)
	for _, args := range cmds {
		c := exec.Command(b.bin("xlvsadm"), args...)
		c.Env = append(os.Environ(), "XLVS_SOCKET="+socket)
		if out, err := c.CombinedOutput(); err != nil {
			d.stop()
			return nil, fmt.Errorf("xlvsadm %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return d, nil
}

// waitReady waits until the control socket answers.
func (d *director) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if d.p.exited() {
			return fmt.Errorf("xlvsd exited: %v\n%s", d.p.err, d.p.out)
		}
		if c, err := client.Dial(d.socket); err == nil {
			resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
			c.Close()
			if err == nil && resp.Err == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("xlvsd's socket %s did not answer in 10s\n%s", d.socket, d.p.out)
}

func (d *director) counters() (map[string]uint64, error) {
	c, err := client.Dial(d.socket)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	resp, err := c.Do(&api.Request{Op: api.OpGetCounters})
	if err != nil {
		return nil, err
	}
	if resp.Err != nil {
		return nil, fmt.Errorf("get-counters: %v", resp.Err)
	}
	return resp.Counters, nil
}

func (d *director) stop() error { return d.p.stop() }

// procPath is a path that is one process and has no counters.
type procPath struct{ p *proc }

func (p procPath) counters() (map[string]uint64, error) { return nil, nil }
func (p procPath) stop() error                          { return p.p.stop() }

func (b *bench) startForwarder() (running, error) {
	p, err := startIn(b.topo.dut, nil, b.bin("xlvs-pktgen"), "forward", "--in", "eth0", "--out", "eth1",
		"--dst-mac", b.topo.sinkMAC.String(), "--cpu", strconv.Itoa(b.dutCPU))
	if err != nil {
		return nil, err
	}
	return procPath{p}, settle(p)
}

func (b *bench) startReflector() (running, error) {
	p, err := startIn(b.topo.dut, nil, b.bin("xlvs-pktgen"), "reflect", "--in", "eth0", "--out", "eth1",
		"--dst-mac", b.topo.sinkMAC.String())
	if err != nil {
		return nil, err
	}
	return procPath{p}, settle(p)
}

// settle gives a process half a second to attach, and fails if it exited.
func settle(p *proc) error {
	time.Sleep(500 * time.Millisecond)
	if p.exited() {
		return fmt.Errorf("%s exited: %v\n%s", p.name, p.err, p.out)
	}
	return nil
}

// nftRules DNATs the UDP service on the VIP to the two real servers in
// turn; the kernel routes the result out of eth1.
const nftRules = `table ip xlvsbench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr %v udp dport %d dnat to numgen inc mod 2 map { 0 : %v, 1 : %v }
	}
}
`

// nftPath is Linux forwarding with nftables DNAT in dut.
type nftPath struct {
	b    *bench
	pass *pktgen.Sink // XDP_PASS on eth0, so redirected frames are accepted
}

func (b *bench) startNFT() (running, error) {
	dut := b.topo.dut
	n := &nftPath{b: b}
	idx, err := dut.LinkIndex("eth0")
	if err != nil {
		return nil, err
	}
	// A veth accepts frames its peer redirects only with an XDP program
	// of its own: the sink program in pass mode (it also counts them).
	if err := dut.Do(func() (err error) {
		n.pass, err = pktgen.NewSink(idx, pktgen.SinkOptions{Pass: true})
		return err
	}); err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{"net/ipv4/ip_forward", "1"}, {"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/eth0/rp_filter", "0"}} {
		if err := dut.SetSysctl(kv[0], kv[1]); err != nil {
			n.stop()
			return nil, err
		}
	}
	c := dut.Command("nft", "-f", "-")
	c.Stdin = strings.NewReader(fmt.Sprintf(nftRules, vip, svcPort, rsAddrs[0], rsAddrs[1]))
	if out, err := c.CombinedOutput(); err != nil {
		n.stop()
		return nil, fmt.Errorf("nft: %w\n%s", err, out)
	}
	return n, nil
}

func (n *nftPath) counters() (map[string]uint64, error) {
	t, err := n.pass.Read()
	if err != nil {
		return nil, err
	}
	return map[string]uint64{"rx-packets": t.Packets}, nil
}

func (n *nftPath) stop() error {
	dut := n.b.topo.dut
	var errs []error
	if out, err := dut.Command("nft", "delete", "table", "ip", "xlvsbench").CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
		errs = append(errs, fmt.Errorf("nft delete: %w: %s", err, out))
	}
	errs = append(errs, dut.SetSysctl("net/ipv4/ip_forward", "0"))
	if n.pass != nil {
		errs = append(errs, n.pass.Close())
	}
	return errors.Join(errs...)
}
