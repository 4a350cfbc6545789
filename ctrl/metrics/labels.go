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

// ServiceLabels are the labels of xlvs' per-service series: node_exporter's
// backend labels without the real server's.
var ServiceLabels = []string{"local_address", "local_port", "proto", "local_mark"}

// serviceLabelValues returns the values of [ServiceLabels] for service k,
// formatted as node_exporter formats what it reads from /proc/net/ip_vs:
// Go's IP text for the address, a decimal port, TCP/UDP/SCTP, and for
// firewall-mark services an empty local address, local port 0, proto FWM
// and the mark as %08X.
func serviceLabelValues(k api.ServiceKey) []string {
	if k.FWMark != 0 {
		return []string{"", "0", "FWM", fmt.Sprintf("%08X", k.FWMark)}
	}
	return []string{k.Addr.Unmap().String(), strconv.Itoa(int(k.Port)), api.ProtoName(k.Protocol), ""}
}

// backendLabelValues returns the values of [BackendLabels] for real server
// (addr, port) of service k, formatted as [serviceLabelValues] does, with
// the real server's address and decimal port.
func backendLabelValues(k api.ServiceKey, addr netip.Addr, port uint16) []string {
	s := serviceLabelValues(k)
	return []string{s[0], s[1], addr.Unmap().String(), strconv.Itoa(int(port)), s[2], s[3]}
}
