package labtraffic

import (
	"fmt"
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Addresses of the two-armed topology built by [NewNAT]: the client net
// 198.18.0.0/24 / fd00:18::/64 (the VIPs are [VIP4] and [VIP6] on the
// director's client side) and the server net 198.18.1.0/24 /
// fd00:18:1::/64 behind the director.
var (
	ServerPrefix4     = netip.MustParsePrefix("198.18.1.0/24")
	ServerPrefix6     = netip.MustParsePrefix("fd00:18:1::/64")
	DirectorSrvAddr4  = netip.MustParseAddr("198.18.1.1")
	DirectorSrvAddr6  = netip.MustParseAddr("fd00:18:1::1")
	natServerAddrBase = netip.MustParseAddr("fd00:18:1::")
)

// Ports the real servers of the NAT lab listen on: the services' ports
// mapped (80 → 8080, 53 → 5353).
const (
	NATTCPPort = 8080
	NATUDPPort = 5353
)

// NATRSAddr4 returns the IPv4 address of real server i of the NAT lab:
// 198.18.1.11, .12, ...
func NATRSAddr4(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 1, byte(11 + i)}) }

// NATRSAddr6 returns the IPv6 address of real server i: fd00:18:1::11, ...
func NATRSAddr6(i int) netip.Addr {
	a := natServerAddrBase.As16()
	a[15] = byte(0x11 + i)
	return netip.AddrFrom16(a)
}

// NATOptions configure [NewNAT].
type NATOptions struct {
	// RealServers is the number of real servers; default 2, at most 8.
	RealServers int
	// Queues is the number of queues of the director's two links (and
	// their peers); default 1.
	Queues int
	// MTU of every link; default 1500.
	MTU int
}

// NAT is the two-armed lab of LVS-NAT (and of tunnels, whose real servers
// sit behind the director the same way), the shape of the kernel's IPVS
// selftest: the client on its own link to the director, the real servers
// on a bridge behind it, with the director as their default gateway.
//
//	client   eth0 198.18.0.2/24 fd00:18::2/64 ── director eth0 198.18.0.1/24
//	         fd00:18::1/64, VIPs 198.18.0.100/32, fd00:18::100/128
//	director eth1 198.18.1.1/24 fd00:18:1::1/64 ── br0 (namespace lan)
//	rsN      eth0 198.18.1.1N/24 fd00:18:1::1N/64 ── br0, default routes via
//	         the director
//
// TX checksum offload is off on every link. The real servers hold no VIP:
// with NAT the director rewrites it away.
type NAT struct {
	LAN      *netlab.NS   // holds bridge br0 of the server net
	Client   *netlab.NS   // the client
	Director *netlab.NS   // run xlvsd --interface eth0 --interface eth1 here
	RS       []*netlab.NS // the real servers rs1..rsN
}

// NewNAT builds the topology in lab. On error, part of it may exist; the
// lab's Close removes it.
func NewNAT(lab *netlab.Lab, o NATOptions) (*NAT, error) {
	return newTwoArmed(lab, o, true)
}

// newTwoArmed builds the two-armed shape of [NewNAT] and [NewFullNAT]:
// with gateway, the real servers route everything through the director
// (NAT); without, they have no route beyond their own net and the
// director's server side holds the FULLNAT local addresses.
func newTwoArmed(lab *netlab.Lab, o NATOptions, gateway bool) (*NAT, error) {
	if o.RealServers <= 0 {
		o.RealServers = 2
	}
	if o.RealServers > 8 {
		return nil, ErrTooManyRS
	}
	if o.Queues <= 0 {
		o.Queues = 1
	}
	n := &NAT{}
	var err error
	for _, h := range []struct {
		ns   **netlab.NS
		name string
	}{{&n.LAN, "lan"}, {&n.Client, "client"}, {&n.Director, "director"}} {
		if *h.ns, err = lab.AddNS(h.name); err != nil {
			return nil, err
		}
	}
	link := netlab.LinkOptions{MTU: o.MTU, Queues: o.Queues, TxChecksumOff: true}
	if err := lab.Veth(n.Client, "eth0", n.Director, "eth0", link); err != nil {
		return nil, err
	}
	if err := addAddrs(n.Client, "eth0", ClientAddr4.String()+"/24", ClientAddr6.String()+"/64"); err != nil {
		return nil, err
	}
	if err := addAddrs(n.Director, "eth0", DirectorAddr4.String()+"/24", DirectorAddr6.String()+"/64"); err != nil {
		return nil, err
	}
	if err := addVIPs(n.Director, "eth0"); err != nil {
		return nil, err
	}
	if err := lab.Veth(n.Director, "eth1", n.LAN, "to-director", link); err != nil {
		return nil, err
	}
	srv := []string{DirectorSrvAddr4.String() + "/24", DirectorSrvAddr6.String() + "/64"}
	if !gateway {
		srv = append(srv, LocalAddr4.String()+"/32", LocalAddr4b.String()+"/32", LocalAddr6.String()+"/128")
	}
	if err := addAddrs(n.Director, "eth1", srv...); err != nil {
		return nil, err
	}
	ports := []string{"to-director"}
	n.RS = make([]*netlab.NS, o.RealServers)
	for i := range n.RS {
		name := fmt.Sprintf("rs%d", i+1)
		if n.RS[i], err = lab.AddNS(name); err != nil {
			return nil, err
		}
		rs := n.RS[i]
		if err := lab.Veth(rs, "eth0", n.LAN, "to-"+name, netlab.LinkOptions{MTU: o.MTU, TxChecksumOff: true}); err != nil {
			return nil, err
		}
		ports = append(ports, "to-"+name)
		if err := addAddrs(rs, "eth0", NATRSAddr4(i).String()+"/24", NATRSAddr6(i).String()+"/64"); err != nil {
			return nil, err
		}
		if !gateway {
			continue
		}
		if err := rs.AddRoute("default", DirectorSrvAddr4.String()); err != nil {
			return nil, err
		}
		if err := rs.AddRoute("::/0", DirectorSrvAddr6.String()); err != nil {
			return nil, err
		}
	}
	if err := lab.Bridge(n.LAN, "br0", ports...); err != nil {
		return nil, err
	}
	return n, nil
}

// ServeRealServers starts a [Server] named "rs1", ... in each real server
// listening on its own addresses, TCP port [NATTCPPort] and UDP port
// [NATUDPPort].
func (n *NAT) ServeRealServers() ([]*Server, error) {
	var servers []*Server
	for i, rs := range n.RS {
		var tcp, udp []string
		for _, a := range []netip.Addr{NATRSAddr4(i), NATRSAddr6(i)} {
			tcp = append(tcp, netip.AddrPortFrom(a, NATTCPPort).String())
			udp = append(udp, netip.AddrPortFrom(a, NATUDPPort).String())
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
