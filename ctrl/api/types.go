package api

import "net/netip"

// Protocol numbers of virtual services (IPPROTO_*).
const (
	ProtoTCP  uint16 = 6
	ProtoUDP  uint16 = 17
	ProtoSCTP uint16 = 132
)

// Service flags, with the values of IP_VS_SVC_F_* in linux/ip_vs.h.
const (
	SvcPersistent uint32 = 0x0001
	SvcHashed     uint32 = 0x0002
	SvcOnePacket  uint32 = 0x0004
	SvcSched1     uint32 = 0x0008 // sh-fallback, mh-fallback, flag-1
	SvcSched2     uint32 = 0x0010 // sh-port, mh-port, flag-2
	SvcSched3     uint32 = 0x0020 // flag-3
)

// DefaultPersistTimeout is what ipvsadm applies for a bare -p (seconds).
const DefaultPersistTimeout = 360

// Method is a real server's forwarding method. The values of the first four
// are IPVS's IP_VS_CONN_F_* forwarding codes.
type Method uint8

// Forwarding methods.
const (
	MethodMasq    Method = 0 // NAT (-m)
	MethodLocal   Method = 1 // local node
	MethodTunnel  Method = 2 // IPIP/GUE/GRE (-i)
	MethodRoute   Method = 3 // direct routing (-g), ipvsadm's default
	MethodBypass  Method = 4 // cache bypass
	MethodFullNAT Method = 5 // DPVS FULLNAT (-b/--fullnat on a real server)
)

// Tunnel types (IP_VS_CONN_F_TUNNEL_TYPE_*).
const (
	TunIPIP uint8 = 0
	TunGUE  uint8 = 1
	TunGRE  uint8 = 2
)

// ServiceKey identifies a virtual service: either (Protocol, Addr, Port) or
// a firewall mark (FWMark != 0, with Addr's family giving IPv4 or IPv6).
type ServiceKey struct {
	Protocol uint16     `json:"protocol,omitempty"`
	Addr     netip.Addr `json:"addr"`
	Port     uint16     `json:"port,omitempty"`
	FWMark   uint32     `json:"fwmark,omitempty"`
}

// IsIPv6 reports whether the service is an IPv6 one.
func (k ServiceKey) IsIPv6() bool { return k.Addr.Is6() && !k.Addr.Is4In6() }

// Stats are the counters of a service or a real server, as IPVS keeps them
// (ip_vs_kstats): totals and the rate estimator's per-second averages.
type Stats struct {
	Conns    uint64 `json:"conns"`
	InPkts   uint64 `json:"inpkts"`
	OutPkts  uint64 `json:"outpkts"`
	InBytes  uint64 `json:"inbytes"`
	OutBytes uint64 `json:"outbytes"`
	CPS      uint64 `json:"cps"`
	InPPS    uint64 `json:"inpps"`
	OutPPS   uint64 `json:"outpps"`
	InBPS    uint64 `json:"inbps"`
	OutBPS   uint64 `json:"outbps"`
}

// Service is a virtual service with its attributes, as ipvsadm -A/-E set it
// and -L shows it.
type Service struct {
	Key       ServiceKey `json:"key"`
	Scheduler string     `json:"scheduler"`
	Flags     uint32     `json:"flags,omitempty"`
	Timeout   uint32     `json:"timeout,omitempty"` // persistence timeout, seconds
	// Netmask is the persistence granularity: an IPv4 mask in host byte
	// order (0xffffffff = /32) for IPv4 services, a prefix length (1..128)
	// for IPv6 ones.
	Netmask uint32 `json:"netmask"`
	PE      string `json:"pe,omitempty"`
	Stats   Stats  `json:"stats"`
	Dests   []Dest `json:"dests,omitempty"`

	// ClientAddr is how FULLNAT real servers learn the client's address:
	// ClientAddrNone (default), ClientAddrTOA or ClientAddrProxyV2.
	ClientAddr string `json:"client_addr,omitempty"`
}

// Dest is a real server of a service.
type Dest struct {
	Addr         netip.Addr `json:"addr"`
	Port         uint16     `json:"port"`
	Method       Method     `json:"method"`
	Weight       int32      `json:"weight"`
	UThreshold   uint32     `json:"u_threshold,omitempty"`
	LThreshold   uint32     `json:"l_threshold,omitempty"`
	TunType      uint8      `json:"tun_type,omitempty"`
	TunPort      uint16     `json:"tun_port,omitempty"`
	TunFlags     uint16     `json:"tun_flags,omitempty"`
	ActiveConns  uint32     `json:"active_conns"`
	InactConns   uint32     `json:"inact_conns"`
	PersistConns uint32     `json:"persist_conns"`
	Stats        Stats      `json:"stats"`
}

// Info describes the director, as IPVS's GET_INFO does.
type Info struct {
	Version     uint32 `json:"version"`       // 0x010201 = 1.2.1
	ConnTabSize uint32 `json:"conn_tab_size"` // shown as (size=N)
	NumServices uint32 `json:"num_services"`
}

// Timeouts are the conntrack timeouts that ipvsadm --set changes, in
// seconds. Zero in a request means "leave unchanged".
type Timeouts struct {
	TCP    uint32 `json:"tcp"`
	TCPFin uint32 `json:"tcpfin"`
	UDP    uint32 `json:"udp"`
}

// Conn is one entry of the connection listing (ipvsadm -L -c).
type Conn struct {
	Protocol uint16     `json:"protocol"`
	Client   netip.Addr `json:"client"`
	CPort    uint16     `json:"cport"`
	Virtual  netip.Addr `json:"virtual"`
	VPort    uint16     `json:"vport"`
	Dest     netip.Addr `json:"dest"`
	DPort    uint16     `json:"dport"`
	State    string     `json:"state"`
	Expires  uint32     `json:"expires"` // seconds left
	Template bool       `json:"template,omitempty"`
	// PEName and PEData are the persistence engine's name and its text
	// for the entry (ipvsadm -L -c --persistent-conn), e.g. "sip" and a
	// Call-ID; empty without a persistence engine.
	PEName string `json:"pe_name,omitempty"`
	PEData string `json:"pe_data,omitempty"`
}
