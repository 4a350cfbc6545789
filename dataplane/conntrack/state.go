package conntrack

// State is a connection's protocol state. The TCP states are IPVS's, with
// the same numbering as ip_vs_proto_tcp.c (IP_VS_TCP_S_*), [StateUDP] is
// the single state of a UDP connection (IP_VS_UDP_S_NORMAL), and the SCTP
// states (StateSCTP...) follow: IPVS's IP_VS_SCTP_S_* in their order, with
// [StateNone] as SCTP's NONE (see sctp.go). String gives the name ipvsadm
// -L -c prints.
type State uint8

// Connection states. The TCP ones are numbered as IPVS numbers them.
const (
	StateNone        State = iota // NONE
	StateEstablished              // ESTABLISHED
	StateSynSent                  // SYN_SENT
	StateSynRecv                  // SYN_RECV
	StateFinWait                  // FIN_WAIT
	StateTimeWait                 // TIME_WAIT
	StateClose                    // CLOSE
	StateCloseWait                // CLOSE_WAIT
	StateLastAck                  // LAST_ACK
	StateListen                   // LISTEN
	StateSynAck                   // SYNACK
	StateUDP                      // UDP: the only state of a UDP connection

	StateSCTPInit1            // INIT1: the client's first INIT seen, no INIT ACK yet
	StateSCTPInit             // INIT: another INIT from the client
	StateSCTPCookieSent       // C-SENT: the server's INIT ACK seen
	StateSCTPCookieReplied    // C-REPLIED: the client's COOKIE ECHO seen
	StateSCTPCookieWait       // C-WAIT: an INIT from the server
	StateSCTPCookie           // COOKIE: the client's INIT ACK to it
	StateSCTPCookieEchoed     // C-ECHOED: the server's COOKIE ECHO
	StateSCTPEstablished      // ESTABLISHED
	StateSCTPShutdownSent     // S-SENT
	StateSCTPShutdownReceived // S-RECEIVED
	StateSCTPShutdownAckSent  // S-ACK-SENT
	StateSCTPRejected         // REJECTED: the INIT was answered with ABORT
	StateSCTPClosed           // CLOSED

	NumStates // number of states; not a state
)

// numTCPStates is the number of TCP states (StateNone..StateSynAck).
const numTCPStates = int(StateSynAck) + 1

var stateNames = [NumStates]string{
	StateNone:        "NONE",
	StateEstablished: "ESTABLISHED",
	StateSynSent:     "SYN_SENT",
	StateSynRecv:     "SYN_RECV",
	StateFinWait:     "FIN_WAIT",
	StateTimeWait:    "TIME_WAIT",
	StateClose:       "CLOSE",
	StateCloseWait:   "CLOSE_WAIT",
	StateLastAck:     "LAST_ACK",
	StateListen:      "LISTEN",
	StateSynAck:      "SYNACK",
	StateUDP:         "UDP",

	StateSCTPInit1:            "INIT1",
	StateSCTPInit:             "INIT",
	StateSCTPCookieSent:       "C-SENT",
	StateSCTPCookieReplied:    "C-REPLIED",
	StateSCTPCookieWait:       "C-WAIT",
	StateSCTPCookie:           "COOKIE",
	StateSCTPCookieEchoed:     "C-ECHOED",
	StateSCTPEstablished:      "ESTABLISHED",
	StateSCTPShutdownSent:     "S-SENT",
	StateSCTPShutdownReceived: "S-RECEIVED",
	StateSCTPShutdownAckSent:  "S-ACK-SENT",
	StateSCTPRejected:         "REJECTED",
	StateSCTPClosed:           "CLOSED",
}

// String returns the state's name as ipvsadm -L -c prints it ("NONE",
// "ESTABLISHED", ..., "UDP", "INIT1", ..., "CLOSED": sctp_state_name_table
// of ip_vs_proto_sctp.c for the SCTP states), or "ERR!" for a value that
// is not a state, as the kernel's tcp_state_name does.
func (s State) String() string {
	if s >= NumStates {
		return "ERR!"
	}
	return stateNames[s]
}

// IsTCP reports whether s is one of the TCP states.
func (s State) IsTCP() bool { return s <= StateSynAck }

// Active reports whether a connection in state s counts as an active
// connection (ipvsadm's ActiveConn) rather than an inactive one
// (InActConn). These are the states of the kernel's
// tcp_state_active_table: ESTABLISHED, SYN_SENT, SYN_RECV and SYNACK, and
// SCTP's ESTABLISHED (set_sctp_state moves a connection out of
// IP_VS_CONN_F_INACTIVE only there). UDP connections are always inactive.
func (s State) Active() bool {
	switch s {
	case StateEstablished, StateSynSent, StateSynRecv, StateSynAck, StateSCTPEstablished:
		return true
	}
	return false
}

// Timeouts holds the timeout in seconds of each state, indexed by
// [State]. A connection's timer is re-armed with its state's value on
// every packet (see [Table.Touch]).
type Timeouts [NumStates]uint32

// DefaultTimeouts returns IPVS's default timeouts: tcp_timeouts[] of
// ip_vs_proto_tcp.c, udp_timeouts[] of ip_vs_proto_udp.c and
// sctp_timeouts[] of ip_vs_proto_sctp.c (IP_VS_SCTP_MAX_RTO = 61 s for the
// handshake and shutdown states). ipvsadm --timeout shows "900 120 300";
// --set does not reach the SCTP values, as with IPVS. SCTP's NONE is
// [StateNone], 2 s in both tables.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		StateNone:        2,
		StateEstablished: 15 * 60,
		StateSynSent:     2 * 60,
		StateSynRecv:     60,
		StateFinWait:     2 * 60,
		StateTimeWait:    2 * 60,
		StateClose:       10,
		StateCloseWait:   60,
		StateLastAck:     30,
		StateListen:      2 * 60,
		StateSynAck:      2 * 60,
		StateUDP:         5 * 60,

		StateSCTPInit1:            4,
		StateSCTPInit:             sctpMaxRTO,
		StateSCTPCookieSent:       sctpMaxRTO,
		StateSCTPCookieReplied:    sctpMaxRTO,
		StateSCTPCookieWait:       sctpMaxRTO,
		StateSCTPCookie:           sctpMaxRTO,
		StateSCTPCookieEchoed:     sctpMaxRTO,
		StateSCTPEstablished:      15 * 60,
		StateSCTPShutdownSent:     sctpMaxRTO,
		StateSCTPShutdownReceived: sctpMaxRTO,
		StateSCTPShutdownAckSent:  sctpMaxRTO,
		StateSCTPRejected:         4,
		StateSCTPClosed:           sctpMaxRTO,
	}
}

// Set applies ipvsadm --set tcp tcpfin udp: it changes the ESTABLISHED,
// FIN_WAIT and UDP timeouts, in seconds; a zero argument leaves that value
// unchanged, as in ip_vs_set_timeout. Range checks belong to the control
// plane. Like IPVS, a new value reaches existing connections when their
// timer is next re-armed, that is at their next packet.
func (t *Timeouts) Set(tcp, tcpFin, udp uint32) {
	if tcp != 0 {
		t[StateEstablished] = tcp
	}
	if tcpFin != 0 {
		t[StateFinWait] = tcpFin
	}
	if udp != 0 {
		t[StateUDP] = udp
	}
}

// Get returns the three timeouts ipvsadm --timeout prints: TCP
// ESTABLISHED, TCP FIN_WAIT and UDP, in seconds.
func (t *Timeouts) Get() (tcp, tcpFin, udp uint32) {
	return t[StateEstablished], t[StateFinWait], t[StateUDP]
}
