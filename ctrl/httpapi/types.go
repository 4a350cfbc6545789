package httpapi

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Stats are the totals of a service or a real server since it was added.
type Stats struct {
	Connections uint64 `json:"connections"`
	InPackets   uint64 `json:"in_packets"`
	OutPackets  uint64 `json:"out_packets"`
	InBytes     uint64 `json:"in_bytes"`
	OutBytes    uint64 `json:"out_bytes"`
}

// Rates are per-second rates of a service or real server: IPVS's
// estimator, as `xlvsadm -L --rate` shows them (the model's listing).
type Rates struct {
	CPS    uint64 `json:"cps"`     // connections per second
	InPPS  uint64 `json:"in_pps"`  // incoming packets per second
	OutPPS uint64 `json:"out_pps"` // outgoing packets per second
	InBPS  uint64 `json:"in_bps"`  // incoming bytes per second
	OutBPS uint64 `json:"out_bps"` // outgoing bytes per second
}

// Health states of a real server.
const (
	HealthUp      = "up"
	HealthDown    = "down"
	HealthUnknown = "unknown" // not checked
)

// RealServer is one real server of a service.
type RealServer struct {
	Address             string `json:"address"`
	Port                uint16 `json:"port"`
	Forward             string `json:"forward"` // "route", "masq", "tunnel", "local", "fullnat"
	Weight              int32  `json:"weight"`
	UpperThreshold      uint32 `json:"upper_threshold"`
	LowerThreshold      uint32 `json:"lower_threshold"`
	ActiveConnections   uint32 `json:"active_connections"`
	InactiveConnections uint32 `json:"inactive_connections"`
	Health              string `json:"health"` // HealthUp, HealthDown or HealthUnknown
	Stats               Stats  `json:"stats"`
	Rates               Rates  `json:"rates"`
}

// Service is one virtual service with its real servers.
type Service struct {
	// ID names the service in /api/v1/services/{id}: "tcp/198.18.0.100/80".
	ID        string `json:"id"`
	Protocol  string `json:"protocol"` // "tcp", "udp", "sctp"
	Address   string `json:"address"`
	Port      uint16 `json:"port"`
	FWMark    uint32 `json:"fwmark"`
	Scheduler string `json:"scheduler"`
	// Flags are ipvsadm's names of the service flags: "persistent",
	// "one-packet", "flag-1", "flag-2", "flag-3".
	Flags []string `json:"flags"`
	// PersistenceTimeout is in seconds, 0 without persistence.
	PersistenceTimeout uint32       `json:"persistence_timeout"`
	Stats              Stats        `json:"stats"`
	Rates              Rates        `json:"rates"`
	RealServers        []RealServer `json:"real_servers"`
}

// ServiceList answers GET /api/v1/services.
type ServiceList struct {
	Services []Service `json:"services"`
}

// WorkerConnections is one worker's connection table.
type WorkerConnections struct {
	Worker   int    `json:"worker"`
	Entries  uint64 `json:"entries"`
	Capacity uint64 `json:"capacity"`
}

// ServiceConnections are the connection counts of one service: the sums
// of its real servers' ActiveConn and InActConn.
type ServiceConnections struct {
	ID       string `json:"id"`
	Active   uint64 `json:"active"`
	Inactive uint64 `json:"inactive"`
}

// Summary answers GET /api/v1/connections/summary.
type Summary struct {
	// Entries counts every entry of the connection tables (connections and
	// templates, all workers); Capacity is the sum of their capacities.
	Entries  uint64               `json:"entries"`
	Capacity uint64               `json:"capacity"`
	Workers  []WorkerConnections  `json:"workers"`
	Services []ServiceConnections `json:"services"`
	// ByState counts the entries of the connection tables by IPVS state
	// name, every state listed (NONE, ESTABLISHED, ..., UDP); the counts
	// add up to Entries.
	ByState map[string]uint64 `json:"by_state"`
}

// WorkerCounters are one worker's dataplane counters.
type WorkerCounters struct {
	Worker             int               `json:"worker"`
	RxPackets          uint64            `json:"rx_packets"`
	RxBytes            uint64            `json:"rx_bytes"`
	TxPackets          uint64            `json:"tx_packets"`
	TxBytes            uint64            `json:"tx_bytes"`
	HandoffIn          uint64            `json:"handoff_in"`
	HandoffOut         uint64            `json:"handoff_out"`
	ConnectionsCreated uint64            `json:"connections_created"`
	ConnectionsExpired uint64            `json:"connections_expired"`
	Drops              map[string]uint64 `json:"drops"` // by drop reason, zeros included
}

// Counters answers GET /api/v1/counters.
type Counters struct {
	// Totals are the counters xlvsadm reads (get-counters): worker totals,
	// "drop-<reason>", the XDP program's "xdp-<reason>" and the kernel's
	// AF_XDP socket statistics "xsk-<name>".
	Totals  map[string]uint64 `json:"totals"`
	Workers []WorkerCounters  `json:"workers"`
}

// serviceID returns "proto/addr/port" (or "fwmark/N" for a mark).
func serviceID(k api.ServiceKey) string {
	if k.FWMark != 0 {
		return "fwmark/" + strconv.FormatUint(uint64(k.FWMark), 10)
	}
	return protoName(k.Protocol) + "/" + k.Addr.Unmap().String() + "/" + strconv.Itoa(int(k.Port))
}

func protoName(p uint16) string { return strings.ToLower(api.ProtoName(p)) }

func forwardName(m api.Method) string {
	switch m {
	case api.MethodMasq:
		return "masq"
	case api.MethodLocal:
		return "local"
	case api.MethodTunnel:
		return "tunnel"
	case api.MethodRoute:
		return "route"
	case api.MethodBypass:
		return "bypass"
	case api.MethodFullNAT:
		return "fullnat"
	}
	return "method-" + strconv.Itoa(int(m))
}

func flagNames(f uint32) []string {
	out := []string{}
	for _, n := range []struct {
		bit  uint32
		name string
	}{
		{api.SvcPersistent, "persistent"}, {api.SvcOnePacket, "one-packet"},
		{api.SvcSched1, "flag-1"}, {api.SvcSched2, "flag-2"}, {api.SvcSched3, "flag-3"},
	} {
		if f&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func statsOf(s *api.Stats) Stats {
	return Stats{Connections: s.Conns, InPackets: s.InPkts, OutPackets: s.OutPkts, InBytes: s.InBytes, OutBytes: s.OutBytes}
}

func ratesOf(s *api.Stats) Rates {
	return Rates{CPS: s.CPS, InPPS: s.InPPS, OutPPS: s.OutPPS, InBPS: s.InBPS, OutBPS: s.OutBPS}
}

// healthKey names a real server of a service for the health lookup.
type healthKey struct {
	svc  api.ServiceKey
	addr netip.Addr
	port uint16
}

func normKey(k api.ServiceKey) api.ServiceKey {
	k.Addr = k.Addr.Unmap()
	return k
}
