package labtraffic

import (
	"fmt"
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
)

// TUNOptions configure [NewTUN].
type TUNOptions struct {
	// RealServers is the number of real servers; default 2, at most 8.
	RealServers int
	// MTU of every link; default 1500.
	MTU int
	// Queues is the number of queues of the director's two links (and
	// their peers); default 1.
	Queues int
}

// TUN is the lab of LVS-TUN, the shape of the kernel's IPVS selftest: the
// client behind a bridge, a two-armed director, and real servers that
// answer the client by their own return path, not through the director.
//
//	client   eth0 198.18.0.2/24 fd00:18::2/64                 ── br0 (lan)
//	director eth0 198.18.0.1/24 fd00:18::1/64, VIPs [VIP4],
//	         [VIP6]                                            ── br0
//	director eth1 198.18.1.1/24 fd00:18:1::1/64                ── br1 (lan)
//	rsN      eth0 198.18.1.1N/24 fd00:18:1::1N/64 (tunnels in) ── br1
//	rsN      eth1 198.18.0.1N/24 fd00:18::1N/64 (return path)  ── br0
//
// The real servers hold no VIP and run nothing: a test puts the VIPs on
// lo and the decapsulator on eth0 (xlvs-rs up --mode tun --dev eth0),
// then starts their servers ([TUN.ServeRealServers]). Their answers leave
// by eth1, straight to the client. TX checksum offload is off everywhere.
type TUN struct {
	LAN      *netlab.NS   // holds bridges br0 (client net) and br1 (server net)
	Client   *netlab.NS   // the client
	Director *netlab.NS   // run xlvsd --interface eth0 --interface eth1 here
	RS       []*netlab.NS // the real servers rs1..rsN
}

// NewTUN builds the topology in lab. On error, part of it may exist; the
// lab's Close removes it.
func NewTUN(lab *netlab.Lab, o TUNOptions) (*TUN, error) {
	if o.RealServers <= 0 {
		o.RealServers = 2
	}
	if o.RealServers > 8 {
		return nil, ErrTooManyRS
	}
	n := &TUN{}
	var err error
	for _, h := range []struct {
		ns   **netlab.NS
		name string
	}{{&n.LAN, "lan"}, {&n.Client, "client"}, {&n.Director, "director"}} {
		if *h.ns, err = lab.AddNS(h.name); err != nil {
			return nil, err
		}
	}
	link := netlab.LinkOptions{MTU: o.MTU, TxChecksumOff: true}
	dlink := netlab.LinkOptions{MTU: o.MTU, Queues: o.Queues, TxChecksumOff: true}
	clientNet, serverNet := []string{"to-client", "to-director"}, []string{"to-dsrv"}
	if err := lab.Veth(n.Client, "eth0", n.LAN, "to-client", link); err != nil {
		return nil, err
	}
	if err := addAddrs(n.Client, "eth0", ClientAddr4.String()+"/24", ClientAddr6.String()+"/64"); err != nil {
		return nil, err
	}
	if err := lab.Veth(n.Director, "eth0", n.LAN, "to-director", dlink); err != nil {
		return nil, err
	}
	if err := addAddrs(n.Director, "eth0", DirectorAddr4.String()+"/24", DirectorAddr6.String()+"/64"); err != nil {
		return nil, err
	}
	if err := addVIPs(n.Director, "eth0"); err != nil {
		return nil, err
	}
	if err := lab.Veth(n.Director, "eth1", n.LAN, "to-dsrv", dlink); err != nil {
		return nil, err
	}
	if err := addAddrs(n.Director, "eth1", DirectorSrvAddr4.String()+"/24", DirectorSrvAddr6.String()+"/64"); err != nil {
		return nil, err
	}
	n.RS = make([]*netlab.NS, o.RealServers)
	for i := range n.RS {
		name := fmt.Sprintf("rs%d", i+1)
		if n.RS[i], err = lab.AddNS(name); err != nil {
			return nil, err
		}
		rs := n.RS[i]
		if err := lab.Veth(rs, "eth0", n.LAN, "to-"+name, link); err != nil {
			return nil, err
		}
		if err := lab.Veth(rs, "eth1", n.LAN, "to-"+name+"c", link); err != nil {
			return nil, err
		}
		serverNet = append(serverNet, "to-"+name)
		clientNet = append(clientNet, "to-"+name+"c")
		if err := addAddrs(rs, "eth0", NATRSAddr4(i).String()+"/24", NATRSAddr6(i).String()+"/64"); err != nil {
			return nil, err
		}
		if err := addAddrs(rs, "eth1", RSAddr4(i).String()+"/24", RSAddr6(i).String()+"/64"); err != nil {
			return nil, err
		}
	}
	if err := lab.Bridge(n.LAN, "br0", clientNet...); err != nil {
		return nil, err
	}
	if err := lab.Bridge(n.LAN, "br1", serverNet...); err != nil {
		return nil, err
	}
	return n, nil
}

// ServeRealServers starts a [Server] named "rs1", ... in each real server
// listening on the VIPs (which must be on its lo by now), TCP port
// [TCPPort] and UDP port [UDPPort].
func (n *TUN) ServeRealServers() ([]*Server, error) {
	var servers []*Server
	for i, rs := range n.RS {
		var tcp, udp []string
		for _, a := range []netip.Addr{VIP4, VIP6} {
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
