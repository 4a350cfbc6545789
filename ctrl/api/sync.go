package api

import "net/netip"

// Connection synchronisation daemons (ipvsadm --start-daemon,
// --stop-daemon, -L --daemon).
const (
	OpStartDaemon Op = "start-daemon" // Request.Daemon
	OpStopDaemon  Op = "stop-daemon"  // Request.Daemon (State only)
	OpGetDaemons  Op = "get-daemons"  // → Response.Daemons, master first
)

// Daemon states.
const (
	DaemonMaster = "master"
	DaemonBackup = "backup"
)

// Daemon is one connection sync daemon's configuration, as
// ipvsadm --start-daemon gives it and -L --daemon lists it. Zero optional
// fields ask for the kernel's defaults; a listed daemon has them filled
// (sync_maxlen from the MTU, group 224.0.0.81, port 8848, TTL 1).
type Daemon struct {
	State      string     `json:"state"`                 // DaemonMaster or DaemonBackup
	McastIfn   string     `json:"mcast_ifn"`             // multicast interface
	SyncID     uint8      `json:"syncid"`                // sync id; 0 on a backup takes every master
	SyncMaxLen uint16     `json:"sync_maxlen,omitempty"` // maximum message length
	McastGroup netip.Addr `json:"mcast_group,omitzero"`  // multicast group
	McastPort  uint16     `json:"mcast_port,omitempty"`  // UDP port
	McastTTL   uint8      `json:"mcast_ttl,omitempty"`   // multicast TTL
}
