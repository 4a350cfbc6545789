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

// method is a forwarding method of xlvs: the table hook for the methods
// still to come. When one lands, set ready and give its xlvsadm real-server
// flag; topology needs beyond DR's (a return route for NAT, a decapsulating
// sink for TUN, local addresses for FULLNAT) go in startXLVS.
type method struct {
	name string // as ipvsadm -L shows it
	flag string // xlvsadm's real-server option
	// ready is true once xlvsd forwards with it.
	ready bool
	// topo, when set, gives the method's extra xlvsd flags and the
	// xlvsadm commands to run after the real servers are added.
	topo func(proto, svc string, connMax int) (daemon []string, adm [][]string)
}

var methods = []method{
	{name: "DR", flag: "-g", ready: true},
	{name: "NAT", flag: "-m"},
	{name: "TUN", flag: "-i"},
	{name: "FULLNAT", flag: "-b", ready: true, topo: fullnatTopo}, // inbound only (fullnat.go)
}

// paths returns every row of the throughput table, in order.
func (b *bench) paths() []path {
	var ps []path
	for _, m := range methods {
		for _, workers := range []int{1, 2} {
			p := path{name: fmt.Sprintf("xlvs %s, %d worker", m.name, workers), group: groupXLVS}
			if workers > 1 {
				p.name += "s"
			}
			m, workers := m, workers
			p.start = func(b *bench) (running, error) {
				d, err := b.startXLVS(m, workers, 1<<21, "-u")
				if err != nil {
					return nil, err
				}
				return d, nil
			}
			switch {
			case !m.ready:
				p.skip = m.name + " is not built yet"
			case workers > 1 && b.cpus < 4:
				p.skip = fmt.Sprintf("needs 4 CPUs (2 generator cores to feed 2 queues, 2 workers); this machine has %d", b.cpus)
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

// director is a running xlvsd.
type director struct {
	p      *proc
	socket string
}

// startXLVS runs xlvsd on dut's two interfaces with workers workers and a
// service on the VIP (proto: xlvsadm's -u or -t) forwarding with method m
// to the two real servers.
func (b *bench) startXLVS(m method, workers, connMax int, proto string) (*director, error) {
	socket := filepath.Join(b.tmp, "xlvs.sock")
	cpus := []string{strconv.Itoa(b.dutCPU)}
	if workers > 1 {
		cpus = append(cpus, strconv.Itoa(b.dutCPU+1))
	}
	svc := fmt.Sprintf("%v:%d", vip, svcPort)
	args := []string{"--interface", "eth0", "--interface", "eth1",
		"--queues", strconv.Itoa(workers), "--cpus", strings.Join(cpus, ","), "--socket", socket,
		"--conn-max", strconv.Itoa(connMax)}
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
		cmds = append(cmds, []string{"-a", proto, svc, "-r", fmt.Sprintf("%v:%d", rs, svcPort), m.flag})
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
