package labtraffic

import (
	"net/netip"

	"github.com/xlvs/xlvs/internal/netlab"
)

// Local addresses of the FULLNAT lab, on the director's server side: the
// sources of the director's connections to the real servers.
var (
	LocalAddr4  = netip.MustParseAddr("198.18.1.200")
	LocalAddr4b = netip.MustParseAddr("198.18.1.201")
	LocalAddr6  = netip.MustParseAddr("fd00:18:1::200")
)

// FullNAT is the lab of FULLNAT: the two-armed shape of [NewNAT], but the
// real servers have no route beyond their own net — no default route,
// nothing towards the client — so that every answer they give goes to a
// local address of the director, and a packet addressed to the client
// could not leave them at all.
//
//	client   eth0 198.18.0.2/24 fd00:18::2/64 ── director eth0 198.18.0.1/24
//	         fd00:18::1/64, VIPs 198.18.0.100/32, fd00:18::100/128
//	director eth1 198.18.1.1/24 fd00:18:1::1/64, local addresses
//	         198.18.1.200/32, 198.18.1.201/32, fd00:18:1::200/128 ── br0
//	rsN      eth0 198.18.1.1N/24 fd00:18:1::1N/64 ── br0 (namespace lan)
//
// The director's kernel holds the local addresses so that it answers the
// real servers' ARP and neighbour solicitations for them. TX checksum
// offload is off on every link.
type FullNAT struct {
	LAN      *netlab.NS
	Client   *netlab.NS
	Director *netlab.NS // run xlvsd --interface eth0 --interface eth1 here
	RS       []*netlab.NS
}

// NewFullNAT builds the topology in lab with o's real servers, queues and
// MTU (as [NATOptions]). On error, part of it may exist; the lab's Close
// removes it.
func NewFullNAT(lab *netlab.Lab, o NATOptions) (*FullNAT, error) {
	n, err := newTwoArmed(lab, o, false)
	if err != nil {
		return nil, err
	}
	return &FullNAT{LAN: n.LAN, Client: n.Client, Director: n.Director, RS: n.RS}, nil
}

// ServeRealServers starts the echo [Server]s "rs1", ... on the real
// servers, as [NAT.ServeRealServers] does.
func (n *FullNAT) ServeRealServers() ([]*Server, error) {
	return (&NAT{LAN: n.LAN, Client: n.Client, Director: n.Director, RS: n.RS}).ServeRealServers()
}
