package api

import (
	"net/netip"
	"strconv"
)

// Mark-rule operations. Linux IPVS takes firewall marks from netfilter
// (iptables -t mangle ... -j MARK), which AF_XDP traffic never passes, so
// xlvs assigns marks itself with mark rules; firewall-mark services (-f)
// then match the marks as in IPVS.
const (
	OpAddMarkRule   Op = "add-mark-rule"   // Request.MarkRule
	OpDelMarkRule   Op = "del-mark-rule"   // Request.MarkRule (all fields must match)
	OpListMarkRules Op = "list-mark-rules" // Response.MarkRules, in rule order
)

// MarkRule gives firewall mark Mark to packets of Protocol (0: TCP, UDP
// and SCTP) whose destination is in Prefix and whose destination port is
// in PortFrom..PortTo. Rules apply in the order they were added; the first
// that matches marks the packet. A marked packet goes to the firewall-mark
// service of its mark and address family if there is one (before any
// address service, as IPVS looks marks up first), otherwise to the
// address services as if it were unmarked.
type MarkRule struct {
	Mark     uint32       `json:"mark"`
	Protocol uint16       `json:"protocol,omitempty"`
	Prefix   netip.Prefix `json:"prefix"`
	PortFrom uint16       `json:"port_from"`
	PortTo   uint16       `json:"port_to"`
}

// String formats r as xlvsd's --mark syntax: "tcp 198.18.0.100/32 80 1",
// with "all" for protocol 0 and "from-to" for a port range.
func (r MarkRule) String() string {
	proto := "all"
	switch r.Protocol {
	case ProtoTCP:
		proto = "tcp"
	case ProtoUDP:
		proto = "udp"
	case ProtoSCTP:
		proto = "sctp"
	}
	ports := strconv.Itoa(int(r.PortFrom))
	if r.PortTo != r.PortFrom {
		ports += "-" + strconv.Itoa(int(r.PortTo))
	}
	return proto + " " + r.Prefix.String() + " " + ports + " " + strconv.FormatUint(uint64(r.Mark), 10)
}
