package api

import "strconv"

// ProtoName returns the kernel's name of IP protocol p, as
// ip_vs_proto_name() gives it to /proc/net/ip_vs, /proc/net/ip_vs_conn
// and ipvsadm -L -c: "TCP", "UDP", "SCTP", "ICMP", "ICMPv6", "IP" for 0
// (firewall-mark templates), else "IP_<n>".
func ProtoName(p uint16) string {
	switch p {
	case 0:
		return "IP"
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	case ProtoSCTP:
		return "SCTP"
	case 1:
		return "ICMP"
	case 58:
		return "ICMPv6"
	}
	return "IP_" + strconv.Itoa(int(p))
}
