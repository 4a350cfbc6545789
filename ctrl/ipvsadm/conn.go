package ipvsadm

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
)

// ListConns writes ipvsadm -L -c's listing (list_conn/print_conn) of
// conns, in the order given. With FmtPersistentConn the title has the
// persistence engine columns and entries with persistence-engine data
// show it; entries without print in the short form, as ipvsadm does for
// kernel lines with fewer fields. names may be nil.
func ListConns(w io.Writer, conns []api.Conn, f Format, names Names) error {
	ew := &errWriter{w: w}
	ew.print("IPVS connection entries\n")
	if f&FmtPersistentConn != 0 {
		ew.print(fmt.Sprintf("pro expire %-11s %-18s %-18s %-18s %-16s %s\n",
			"state", "source", "virtual", "destination", "pe name", "pe_data"))
	} else {
		ew.print(fmt.Sprintf("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination"))
	}
	numeric := f&FmtNumeric != 0
	for i := range conns {
		c := &conns[i]
		proto := c.Protocol
		if protoName(proto) == "" {
			proto = 0 // no port names for IP, ICMP, ...
		}
		name := func(a netip.Addr, port uint16) string {
			return addrPortName(a, port, proto, numeric, names)
		}
		expire := fmt.Sprintf("%02d:%02d", c.Expires/60, c.Expires%60)
		src, virt, dst := padRight(name(c.Client, c.CPort), 18), padRight(name(c.Virtual, c.VPort), 18), name(c.Dest, c.DPort)
		if f&FmtPersistentConn != 0 && c.PEName != "" && c.PEData != "" {
			ew.print(fmt.Sprintf("%-3s %-6s %-11s %s %s %s %s %s\n", api.ProtoName(c.Protocol), expire, c.State,
				src, virt, padRight(dst, 16), padRight(c.PEName, 18), c.PEData))
			continue
		}
		ew.print(fmt.Sprintf("%-3s %-6s %-11s %s %s %s\n", api.ProtoName(c.Protocol), expire, c.State, src, virt, dst))
	}
	return ew.err
}

// Daemon is one running connection sync daemon, as ipvsadm -L --daemon
// shows it. Zero optional fields are not shown.
type Daemon struct {
	State      string     // "master" or "backup"
	McastIfn   string     // multicast interface
	SyncID     uint32     // sync id
	SyncMaxLen uint32     // maximum sync message length
	McastGroup netip.Addr // multicast group (invalid: unset)
	McastPort  uint16     // multicast UDP port
	McastTTL   uint8      // multicast TTL
}

// ListDaemons writes ipvsadm -L --daemon's lines (list_daemon), one per
// running daemon; nothing when none runs.
func ListDaemons(w io.Writer, ds []Daemon) error {
	ew := &errWriter{w: w}
	for _, d := range ds {
		line := fmt.Sprintf("%s sync daemon (mcast=%s, syncid=%d", d.State, d.McastIfn, int32(d.SyncID))
		if d.SyncMaxLen != 0 {
			line += fmt.Sprintf(", maxlen=%d", d.SyncMaxLen)
		}
		if d.McastGroup.IsValid() {
			line += ", group=" + ntop(d.McastGroup)
		}
		if d.McastPort != 0 {
			line += fmt.Sprintf(", port=%d", d.McastPort)
		}
		if d.McastTTL != 0 {
			line += fmt.Sprintf(", ttl=%d", d.McastTTL)
		}
		ew.print(line + ")\n")
	}
	return ew.err
}
