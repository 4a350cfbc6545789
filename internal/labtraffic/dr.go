package labtraffic

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Addresses of the one-armed direct-routing topology built by [NewDR]: one
// L2 segment, 198.18.0.0/24 and fd00:18::/64.
var (
	Prefix4       = netip.MustParsePrefix("198.18.0.0/24")
	Prefix6       = netip.MustParsePrefix("fd00:18::/64")
	ClientAddr4   = netip.MustParseAddr("198.18.0.2")
	ClientAddr6   = netip.MustParseAddr("fd00:18::2")
	DirectorAddr4 = netip.MustParseAddr("198.18.0.1")
	DirectorAddr6 = netip.MustParseAddr("fd00:18::1")
	VIP4          = netip.MustParseAddr("198.18.0.100")
	VIP6          = netip.MustParseAddr("fd00:18::100")
)

// Ports served by the lab's real servers.
const (
	TCPPort = 80
	UDPPort = 53
)

// RSAddr4 returns the IPv4 address of real server i (0-based): .11, .12, ...
func RSAddr4(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 0, byte(11 + i)}) }

// RSAddr6 returns the IPv6 address of real server i: fd00:18::11, ::12, ...
func RSAddr6(i int) netip.Addr {
	a := VIP6.As16()
	a[14], a[15] = 0, byte(0x11+i) // fd00:18::11 reads as hex, like the v4 host part
	return netip.AddrFrom16(a)
}

// DROptions configure [NewDR].
type DROptions struct {
	// RealServers is the number of real servers; default 2, at most 8.
	RealServers int
	// Queues is the number of queues of the director's eth0 (and its peer);
	// default 1.
	Queues int
	// MTU of every link; default 1500.
	MTU int
	// BareRealServers leaves the real servers without VIPs on lo and
	// without the ARP sysctls, for a caller that sets them up the way a
	// user does (xlvs-rs up --mode dr) before serving on the VIPs.
	BareRealServers bool
}

// DR is the classic one-armed LVS-DR lab: namespaces client, director and
// rs1..rsN, each with eth0 plugged into bridge br0 of namespace lan.
//
//	client  eth0 198.18.0.2/24   fd00:18::2/64
//	director eth0 198.18.0.1/24  fd00:18::1/64, VIPs 198.18.0.100/32 and
//	         fd00:18::100/128 (the kernel answers ARP/ND for them)
//	rsN     eth0 198.18.0.1N/24  fd00:18::1N/64, VIPs on lo;
//	         arp_ignore=1, arp_announce=2 on all and eth0 (not with
//	         [DROptions.BareRealServers])
//
// IPv6 needs no sysctl on the real servers: Linux answers neighbour
// solicitations only for addresses on the receiving interface, so a VIP on
// lo is never announced on eth0. TX checksum offload is off on every link.
type DR struct {
	LAN      *netlab.NS   // holds bridge br0 and the ports to-client, to-director, to-rsN
	Client   *netlab.NS   // the client
	Director *netlab.NS   // the director: run xlvsd --interface eth0 here
	RS       []*netlab.NS // the real servers rs1..rsN
}

// ErrTooManyRS is returned when more real servers are asked for than the
// address plan has room for.
var ErrTooManyRS = errors.New("labtraffic: at most 8 real servers")

// NewDR builds the topology in lab. On error, part of it may exist; the
// lab's Close removes it.
func NewDR(lab *netlab.Lab, o DROptions) (*DR, error) {
	if o.RealServers <= 0 {
		o.RealServers = 2
	}
	if o.RealServers > 8 {
		return nil, ErrTooManyRS
	}
	if o.Queues <= 0 {
		o.Queues = 1
	}
	d := &DR{}
	var err error
	if d.LAN, err = lab.AddNS("lan"); err != nil {
		return nil, err
	}
	hosts := []struct {
		ns   **netlab.NS
		name string
		a4   netip.Addr
		a6   netip.Addr
		q    int
	}{
		{&d.Client, "client", ClientAddr4, ClientAddr6, 1},
		{&d.Director, "director", DirectorAddr4, DirectorAddr6, o.Queues},
	}
	d.RS = make([]*netlab.NS, o.RealServers)
	for i := range d.RS {
		hosts = append(hosts, struct {
			ns   **netlab.NS
			name string
			a4   netip.Addr
			a6   netip.Addr
			q    int
		}{&d.RS[i], fmt.Sprintf("rs%d", i+1), RSAddr4(i), RSAddr6(i), 1})
	}
	var ports []string
	for _, h := range hosts {
		ns, err := lab.AddNS(h.name)
		if err != nil {
			return nil, err
		}
		*h.ns = ns
		port := "to-" + h.name
		if err := lab.Veth(ns, "eth0", d.LAN, port, netlab.LinkOptions{MTU: o.MTU, Queues: h.q, TxChecksumOff: true}); err != nil {
			return nil, err
		}
		ports = append(ports, port)
		if err := addAddrs(ns, "eth0", h.a4.String()+"/24", h.a6.String()+"/64"); err != nil {
			return nil, err
		}
	}
	if err := lab.Bridge(d.LAN, "br0", ports...); err != nil {
		return nil, err
	}
	if err := addVIPs(d.Director, "eth0"); err != nil {
		return nil, err
	}
	for _, rs := range d.RS {
		if o.BareRealServers {
			continue
		}
		if err := setupRealServer(rs); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// setupRealServer puts the VIPs on lo and keeps the kernel from answering
// or announcing them on eth0 (arp_ignore=1, arp_announce=2).
func setupRealServer(rs *netlab.NS) error {
	if err := addAddrs(rs, "lo", VIP4.String()+"/32", VIP6.String()+"/128"); err != nil {
		return err
	}
	for _, dev := range []string{"all", "eth0"} {
		for k, v := range map[string]string{"arp_ignore": "1", "arp_announce": "2"} {
			if err := rs.SetSysctl("net/ipv4/conf/"+dev+"/"+k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func addAddrs(ns *netlab.NS, dev string, cidrs ...string) error {
	for _, c := range cidrs {
		if err := ns.AddAddr(dev, c); err != nil {
			return err
		}
	}
	return nil
}

// addVIPs puts both VIPs on the director's dev as a director carries
// them: never the source of its own traffic ([netlab.NS.AddVIP]).
func addVIPs(ns *netlab.NS, dev string) error {
	for _, c := range []string{VIP4.String() + "/32", VIP6.String() + "/128"} {
		if err := ns.AddVIP(dev, c); err != nil {
			return err
		}
	}
	return nil
}

// ServeRealServers starts a [Server] named after each real server's
// namespace prefix ("rs1", ...) listening on the VIPs and on its own
// addresses, TCP port [TCPPort] and UDP port [UDPPort].
func (d *DR) ServeRealServers() ([]*Server, error) {
	var servers []*Server
	for i, rs := range d.RS {
		var tcp, udp []string
		for _, a := range []netip.Addr{VIP4, VIP6, RSAddr4(i), RSAddr6(i)} {
			tcp = append(tcp, netip.AddrPortFrom(a, TCPPort).String())
			udp = append(udp, netip.AddrPortFrom(a, UDPPort).String())
		}
		s, err := Serve(rs, fmt.Sprintf("rs%d", i+1), tcp, udp)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// VIPPlan returns a plan aimed at the virtual services: TCP port 80 and
// UDP port 53 on both VIPs.
func VIPPlan() Plan {
	return Plan{
		TCP: []string{netip.AddrPortFrom(VIP4, TCPPort).String(), netip.AddrPortFrom(VIP6, TCPPort).String()},
		UDP: []string{netip.AddrPortFrom(VIP4, UDPPort).String(), netip.AddrPortFrom(VIP6, UDPPort).String()},
	}
}

// DirectPlan returns a plan aimed at each real server's own addresses, a
// smoke test of the topology and the servers without a director.
func (d *DR) DirectPlan() Plan {
	var p Plan
	for i := range d.RS {
		for _, a := range []netip.Addr{RSAddr4(i), RSAddr6(i)} {
			p.TCP = append(p.TCP, netip.AddrPortFrom(a, TCPPort).String())
			p.UDP = append(p.UDP, netip.AddrPortFrom(a, UDPPort).String())
		}
	}
	return p
}
