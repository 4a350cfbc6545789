package metrics

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/xlvs/xlvs/ctrl/api"
)

// BackendLabels are node_exporter's IPVS backend labels, in its order.
var BackendLabels = []string{"local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"}

// RealServerHealth is the health of one real server of one service, as a
// health checker reports it.
type RealServerHealth struct {
	Service api.ServiceKey
	Addr    netip.Addr
	Port    uint16
	Healthy bool
}

// HealthSource returns the health of the checked real servers. Real
// servers it does not mention have no health series.
type HealthSource func() []RealServerHealth

// backendLabelValues returns the values of [BackendLabels] for real server
// (addr, port) of service k, formatted as node_exporter formats what it
// reads from /proc/net/ip_vs: Go's IP text for the addresses, decimal
// ports, TCP/UDP/SCTP, and for firewall-mark services an empty local
// address, local port 0, proto FWM and the mark as %08X.
func backendLabelValues(k api.ServiceKey, addr netip.Addr, port uint16) []string {
	if k.FWMark != 0 {
		return []string{"", "0", addr.Unmap().String(), strconv.Itoa(int(port)), "FWM", fmt.Sprintf("%08X", k.FWMark)}
	}
	return []string{k.Addr.Unmap().String(), strconv.Itoa(int(k.Port)), addr.Unmap().String(), strconv.Itoa(int(port)), ProtoName(k.Protocol), ""}
}

// ProtoName returns the protocol name /proc/net/ip_vs prints: TCP, UDP,
// SCTP, or IP_n for anything else.
func ProtoName(p uint16) string {
	switch p {
	case api.ProtoTCP:
		return "TCP"
	case api.ProtoUDP:
		return "UDP"
	case api.ProtoSCTP:
		return "SCTP"
	}
	return "IP_" + strconv.Itoa(int(p))
}
