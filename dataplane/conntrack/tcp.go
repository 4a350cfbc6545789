package conntrack

// Dir is the direction of a packet relative to its connection, which
// selects one of IPVS's three TCP transition tables.
type Dir uint8

// Packet directions.
const (
	// DirInput is a client→virtual packet of a connection whose replies
	// pass through the director (NAT, FULLNAT).
	DirInput Dir = iota
	// DirOutput is a real server→client packet (NAT, FULLNAT replies).
	DirOutput
	// DirInputOnly is a client→virtual packet of a connection whose
	// replies bypass the director (DR, TUN: IPVS's NOOUTPUT flag).
	DirInputOnly
	numDirs
)

// TCP header flag bits, as in the 13th byte of the TCP header.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPAck uint8 = 0x10
)

// Flag classes: the rows of each transition table, in the kernel's order.
const (
	rowSyn = iota
	rowFin
	rowAck
	rowRst
	numRows
)

// Short names so the table below reads like tcp_states[] in
// ip_vs_proto_tcp.c.
const (
	sNO = StateNone
	sES = StateEstablished
	sSS = StateSynSent
	sSR = StateSynRecv
	sFW = StateFinWait
	sTW = StateTimeWait
	sCL = StateClose
	sCW = StateCloseWait
	sLA = StateLastAck
	sLI = StateListen
	sSA = StateSynAck
)

// tcpStates is tcp_states[] of the kernel's ip_vs_proto_tcp.c (current kernels):
// indexed by direction, flag class and current state.
var tcpStates = [numDirs][numRows][numTCPStates]State{
	DirInput: {
		//       sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA
		rowSyn: {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
		rowFin: {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},
		rowAck: {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
		rowRst: {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR},
	},
	DirOutput: {
		rowSyn: {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
		rowFin: {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
		rowAck: {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
		rowRst: {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
	},
	DirInputOnly: {
		rowSyn: {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
		rowFin: {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
		rowAck: {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
		rowRst: {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
	},
}

// TCPNext returns the state a TCP connection in state s moves to when a
// packet with header flags tcpFlags travels in direction dir, as IPVS's
// set_tcp_state does: the flag class is chosen by priority RST > SYN >
// FIN > ACK, and a packet with none of them moves the connection to
// CLOSE. A state that is not a TCP state, or an unknown direction, is
// returned unchanged.
func TCPNext(s State, dir Dir, tcpFlags uint8) State {
	if s > StateSynAck || dir >= numDirs {
		return s
	}
	var row int
	switch {
	case tcpFlags&TCPRst != 0:
		row = rowRst
	case tcpFlags&TCPSyn != 0:
		row = rowSyn
	case tcpFlags&TCPFin != 0:
		row = rowFin
	case tcpFlags&TCPAck != 0:
		row = rowAck
	default:
		return StateClose
	}
	return tcpStates[dir][row][s]
}
