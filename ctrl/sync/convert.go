package sync

import (
	"net/netip"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// Protocols and their state counts (the kernel's pp->num_states).
const (
	protoTCP      = 6
	protoUDP      = 17
	protoSCTP     = 132
	numTCPStates  = int(conntrack.StateSynAck) + 1 // IP_VS_TCP_S_LAST
	numUDPStates  = 2                              // IP_VS_UDP_S_LAST
	numSCTPStates = 14                             // IP_VS_SCTP_S_LAST
)

// sctpToWire returns the kernel's number of SCTP state s (IP_VS_SCTP_S_*:
// NONE 0, INIT1 1, ..., CLOSED 13): conntrack keeps the SCTP states in the
// kernel's order after the TCP and UDP ones, with NONE shared.
func sctpToWire(s conntrack.State) uint16 {
	if s == conntrack.StateNone {
		return 0
	}
	return uint16(s-conntrack.StateSCTPInit1) + 1
}

// sctpFromWire is sctpToWire's inverse for n < numSCTPStates.
func sctpFromWire(n uint16) conntrack.State {
	if n == 0 {
		return conntrack.StateNone
	}
	return conntrack.StateSCTPInit1 + conntrack.State(n-1)
}

// toWire converts a connection the dataplane queued into a message entry,
// with the flags the kernel's connection would carry: the forwarding
// method (with NOOUTPUT for every method but NAT), INACTIVE unless the
// state counts as active, TEMPLATE; TCP and SCTP states by the kernel's
// numbers. It fails for what the protocol cannot carry: a FULLNAT
// connection (no local address and port in the format; the engine does
// not queue them), a real server of the other family.
func toWire(e *engine.SyncConn, c *Conn) bool {
	var fwd uint32
	switch e.Method {
	case snapshot.MethodRoute:
		fwd = FlagDRoute | FlagNoOutput
	case snapshot.MethodTunnel:
		fwd = FlagTunnel | FlagNoOutput
	case snapshot.MethodMasq:
		fwd = FlagMasq
	default:
		return false
	}
	cl, vi, de := addrOf(e.Client, e.Family), addrOf(e.Virtual, e.Family), addrOf(e.Dest, e.Family)
	if !de.IsValid() || de.Is4() != cl.Is4() {
		return false
	}
	*c = Conn{Protocol: e.Proto, Flags: fwd, CPort: e.CPort, VPort: e.VPort, DPort: e.DPort,
		FWMark: e.FWMark, Timeout: e.Timeout, Client: cl, Virtual: vi, Dest: de}
	switch {
	case e.Flags&conntrack.FlagTemplate != 0:
		c.Flags |= FlagTemplate | FlagInactive
	case e.Proto == protoTCP:
		c.State = uint16(e.State)
		if !e.State.Active() {
			c.Flags |= FlagInactive
		}
	case e.Proto == protoSCTP:
		c.State = sctpToWire(e.State)
		if !e.State.Active() {
			c.Flags |= FlagInactive
		}
	default:
		c.Flags |= FlagInactive // UDP: state 0, IP_VS_UDP_S_NORMAL
	}
	return true
}

// addrOf returns a 16-byte address in family fam (4: IPv4-mapped),
// invalid when it is not of that family.
func addrOf(a [16]byte, fam uint8) netip.Addr {
	x := netip.AddrFrom16(a)
	if fam == 4 {
		if !x.Is4In6() {
			return netip.Addr{}
		}
		return x.Unmap()
	}
	return x
}

// Reasons a received entry is not handed to the dataplane.
const (
	skipProto   = "unsupported-protocol" // not TCP, UDP or SCTP (or a template)
	skipState   = "bad-state"            // state number out of the protocol's range
	skipPE      = "persistence-engine"   // persistence engine data: no such engine here
	skipOneShot = "one-packet"           // one-packet connection
)

// fromWire converts a received entry into the dataplane's form as
// ip_vs_proc_sync_conn validates it: flags masked with FlagBackupMask,
// templates' state forced to 0, the state checked against the protocol's
// states. It returns the reason when the entry is skipped.
func fromWire(c *Conn, e *engine.SyncConn) string {
	flags := c.Flags & FlagBackupMask
	if c.Flags&FlagOnePacket != 0 {
		return skipOneShot
	}
	if len(c.PEData) > 0 || c.PEName != "" {
		return skipPE
	}
	*e = engine.SyncConn{Proto: c.Protocol, CPort: c.CPort, VPort: c.VPort, DPort: c.DPort,
		FWMark: c.FWMark, Timeout: c.Timeout, Family: 6}
	if c.Client.Is4() {
		e.Family = 4
	}
	e.Client, e.Virtual, e.Dest = c.Client.As16(), c.Virtual.As16(), c.Dest.As16()
	switch flags & FlagFwdMask {
	case FlagMasq:
		e.Method = snapshot.MethodMasq
	case FlagTunnel:
		e.Method = snapshot.MethodTunnel
	default:
		e.Method = snapshot.MethodRoute
	}
	switch {
	case flags&FlagTemplate != 0:
		e.Flags, e.State = conntrack.FlagTemplate, conntrack.StateNone
	case c.Protocol == protoTCP:
		if int(c.State) >= numTCPStates {
			return skipState
		}
		e.State = conntrack.State(c.State)
	case c.Protocol == protoUDP:
		if int(c.State) >= numUDPStates {
			return skipState
		}
		e.State = conntrack.StateUDP
	case c.Protocol == protoSCTP:
		if int(c.State) >= numSCTPStates {
			return skipState
		}
		e.State = sctpFromWire(c.State)
	default:
		return skipProto
	}
	return ""
}
