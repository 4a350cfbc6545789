package api

import "net/netip"

// FULLNAT local addresses (DPVS's laddrs): the source addresses a service
// uses towards its FULLNAT real servers.
const (
	OpAddLaddr  Op = "add-laddr"  // Request.Service.Key, Request.Laddr
	OpDelLaddr  Op = "del-laddr"  // Request.Service.Key, Request.Laddr (Addr only)
	OpGetLaddrs Op = "get-laddrs" // Request.Service.Key → Response.Laddrs
)

// LocalAddr is a local address of a service, as DPVS's ipvsadm -P sets it
// and -G lists it.
type LocalAddr struct {
	Addr netip.Addr `json:"addr"`
	// Ifname is the interface the real servers reach the address
	// through (DPVS's -F); empty: any served interface.
	Ifname string `json:"ifname,omitempty"`
	// Conns is the number of connections using the address (-G's CONNS).
	Conns uint64 `json:"conns"`
	// PortConflicts counts new connections refused because the address
	// had no free local port (-G's CONFLICTS).
	PortConflicts uint64 `json:"port_conflicts"`
}

// Client address modes of a service (Service.ClientAddr): how a FULLNAT
// real server learns the client's address. Off by default.
const (
	ClientAddrNone    = ""         // the real server sees only the local address
	ClientAddrTOA     = "toa"      // TCP option 254 in the first segments (TOA)
	ClientAddrProxyV2 = "proxy-v2" // PROXY protocol v2 header before the data
)
