package main

import (
	"net"
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// The two-armed bench topology:
//
//	gen eth0 198.18.1.2/24 ── dut eth0 198.18.1.1/24, VIP 198.18.1.100/32
//	                          dut eth1 198.18.2.1/24 ── sink eth0 198.18.2.2/24,
//	                                                    real servers .11 .12, VIP on lo
//
// The generator sends to the VIP from 198.18.1.16/28, ports 1024-65535
// (1,032,192 distinct flows); the director (whatever runs in dut) sends
// towards the sink, which plays the real servers (DR and TUN: the VIP on
// lo; NAT: their own addresses; TUN: it counts the encapsulated frames,
// not decapsulating them) and counts what arrives with the pktgen sink
// program, answering nothing.
var (
	genAddr  = "198.18.1.2/24"
	dutAddr0 = "198.18.1.1/24"
	dutAddr1 = "198.18.2.1/24"
	sinkAddr = "198.18.2.2/24"
	vip      = netip.MustParseAddr("198.18.1.100")
	rsAddrs  = []netip.Addr{netip.MustParseAddr("198.18.2.11"), netip.MustParseAddr("198.18.2.12")}
	srcRange = "198.18.1.16/28"
	srcPorts = "1024-65535"
	svcPort  = 9 // discard
)

// topo is the lab of one harness run.
type topo struct {
	lab            *netlab.Lab
	gen, dut, sink *netlab.NS
	dutMAC0        net.HardwareAddr // dut eth0: where the generator sends
	dutMAC1        net.HardwareAddr // dut eth1: the director's source MAC
	sinkMAC        net.HardwareAddr
	sinkProg       *pktgen.Sink
}

// newTopo builds the namespaces, links (of queues queues: one per xlvsd
// worker) and addresses, and attaches the sink. On error the caller closes
// the lab.
func newTopo(lab *netlab.Lab, queues int) (*topo, error) {
	t := &topo{lab: lab}
	var err error
	for _, n := range []struct {
		ns   **netlab.NS
		name string
	}{{&t.gen, "gen"}, {&t.dut, "dut"}, {&t.sink, "sink"}} {
		if *n.ns, err = lab.AddNS(n.name); err != nil {
			return nil, err
		}
		// No IPv6: no router solicitations or MLD in the counts.
		if err := (*n.ns).SetSysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil {
			return nil, err
		}
	}
	o := netlab.LinkOptions{Queues: queues, MTU: 1500, TxChecksumOff: true}
	if err := lab.Veth(t.gen, "eth0", t.dut, "eth0", o); err != nil {
		return nil, err
	}
	if err := lab.Veth(t.dut, "eth1", t.sink, "eth0", o); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		ns        *netlab.NS
		dev, cidr string
	}{
		{t.gen, "eth0", genAddr}, {t.dut, "eth0", dutAddr0}, {t.dut, "eth0", vip.String() + "/32"},
		{t.dut, "eth1", dutAddr1}, {t.sink, "eth0", sinkAddr},
		{t.sink, "eth0", rsAddrs[0].String() + "/24"}, {t.sink, "eth0", rsAddrs[1].String() + "/24"},
		{t.sink, "lo", vip.String() + "/32"},
	} {
		if err := a.ns.AddAddr(a.dev, a.cidr); err != nil {
			return nil, err
		}
	}
	// The sink answers ARP for the real servers only, never for the VIP
	// on lo, as a DR real server must.
	for _, kv := range [][2]string{{"arp_ignore", "1"}, {"arp_announce", "2"}} {
		for _, dev := range []string{"all", "eth0"} {
			if err := t.sink.SetSysctl("net/ipv4/conf/"+dev+"/"+kv[0], kv[1]); err != nil {
				return nil, err
			}
		}
	}
	if t.dutMAC0, err = t.dut.MAC("eth0"); err != nil {
		return nil, err
	}
	if t.dutMAC1, err = t.dut.MAC("eth1"); err != nil {
		return nil, err
	}
	if t.sinkMAC, err = t.sink.MAC("eth0"); err != nil {
		return nil, err
	}
	// The director resolves real servers from its neighbour table: make
	// the entries permanent so that no path waits for ARP.
	for _, rs := range rsAddrs {
		if err := t.dut.AddNeigh("eth1", rs.String(), t.sinkMAC); err != nil {
			return nil, err
		}
	}
	idx, err := t.sink.LinkIndex("eth0")
	if err != nil {
		return nil, err
	}
	err = t.sink.Do(func() (err error) {
		t.sinkProg, err = pktgen.NewSink(idx, pktgen.SinkOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// close detaches the sink; the lab removes the rest.
func (t *topo) close() {
	if t.sinkProg != nil {
		t.sinkProg.Close()
	}
}
