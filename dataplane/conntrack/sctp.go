package conntrack

// sctpMaxRTO is IPVS's IP_VS_SCTP_MAX_RTO in seconds ((60 + 1) * HZ): the
// timeout of the SCTP handshake, shutdown and CLOSED states.
const sctpMaxRTO = 61

// SCTPEvent is what a packet does to an SCTP connection: its first chunk's
// type folded into IPVS's event classes (enum ipvs_sctp_event_t of
// ip_vs_proto_sctp.c). [SCTPEventOf] computes it.
type SCTPEvent uint8

// SCTP events, in the kernel's order: the rows of the transition table.
const (
	SCTPEventData             SCTPEvent = iota // DATA, SACK, HEARTBEAT(-ACK), ECNE, CWR and unknown chunks
	SCTPEventInit                              // INIT
	SCTPEventInitAck                           // INIT ACK
	SCTPEventCookieEcho                        // COOKIE ECHO
	SCTPEventCookieAck                         // COOKIE ACK
	SCTPEventShutdown                          // SHUTDOWN
	SCTPEventShutdownAck                       // SHUTDOWN ACK
	SCTPEventShutdownComplete                  // SHUTDOWN COMPLETE
	SCTPEventError                             // ERROR
	SCTPEventAbort                             // ABORT
	numSCTPEvents
)

// SCTP chunk types that map to events (RFC 9260 §3.2).
const (
	chunkInit             = 1
	chunkInitAck          = 2
	chunkAbort            = 6
	chunkShutdown         = 7
	chunkShutdownAck      = 8
	chunkError            = 9
	chunkCookieEcho       = 10
	chunkCookieAck        = 11
	chunkShutdownComplete = 14
)

// sctpEvents is sctp_events[] of the kernel: chunk types 0..14; the
// others (and those not listed: SACK, HEARTBEAT, ...) are DATA.
var sctpEvents = [chunkShutdownComplete + 1]SCTPEvent{
	chunkInit:             SCTPEventInit,
	chunkInitAck:          SCTPEventInitAck,
	chunkAbort:            SCTPEventAbort,
	chunkShutdown:         SCTPEventShutdown,
	chunkShutdownAck:      SCTPEventShutdownAck,
	chunkError:            SCTPEventError,
	chunkCookieEcho:       SCTPEventCookieEcho,
	chunkCookieAck:        SCTPEventCookieAck,
	chunkShutdownComplete: SCTPEventShutdownComplete,
}

// SCTPEventOf returns the event of a packet whose first chunk has type
// chunk; abortNext says whether the chunk after it is an ABORT. As in
// IPVS's set_sctp_state, a COOKIE ECHO or COOKIE ACK bundled before an
// ABORT counts as the ABORT (RFC 9260 §3.3.7: control chunks may precede
// an ABORT in one packet), and chunk types without an event of their own
// are DATA.
func SCTPEventOf(chunk uint8, abortNext bool) SCTPEvent {
	if abortNext && (chunk == chunkCookieEcho || chunk == chunkCookieAck) {
		return SCTPEventAbort
	}
	if int(chunk) < len(sctpEvents) {
		return sctpEvents[chunk]
	}
	return SCTPEventData
}

// numSCTPStates is the number of SCTP states: NONE and the 13 StateSCTP...
const numSCTPStates = int(StateSCTPClosed-StateSCTPInit1) + 2

// IsSCTP reports whether s is an SCTP state: [StateNone] or one of the
// StateSCTP... states.
func (s State) IsSCTP() bool {
	return s == StateNone || (s >= StateSCTPInit1 && s <= StateSCTPClosed)
}

// sctpIndex is s's column in the SCTP table: 0 for NONE, then the
// kernel's IP_VS_SCTP_S_* numbering.
func sctpIndex(s State) int {
	if s == StateNone {
		return 0
	}
	return int(s-StateSCTPInit1) + 1
}

// Short names so the table below reads like sctp_states[] of
// ip_vs_proto_sctp.c (the TCP file uses sNO ... for its own states).
const (
	qNO = StateNone
	qI1 = StateSCTPInit1
	qIN = StateSCTPInit
	qCS = StateSCTPCookieSent
	qCR = StateSCTPCookieReplied
	qCW = StateSCTPCookieWait
	qCO = StateSCTPCookie
	qCE = StateSCTPCookieEchoed
	qES = StateSCTPEstablished
	qSS = StateSCTPShutdownSent
	qSR = StateSCTPShutdownReceived
	qSA = StateSCTPShutdownAckSent
	qRJ = StateSCTPRejected
	qCL = StateSCTPClosed
)

// sctpStates is sctp_states[] of ip_vs_proto_sctp.c (kernels since 3.9,
// which introduced INIT1, INIT, COOKIE_SENT, COOKIE_REPLIED, COOKIE and
// REJECTED): indexed by direction, event and current state. The states
// are as the real server sees them; INPUT is client→server through a
// director that also sees the replies (NAT), OUTPUT the replies, and
// INPUT-ONLY client→server when replies bypass the director (DR, TUN).
var sctpStates = [numDirs][numSCTPEvents][numSCTPStates]State{
	DirInput: {
		//                          qNO, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL
		SCTPEventData:             {qES, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventInit:             {qI1, qIN, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qIN, qIN},
		SCTPEventInitAck:          {qCW, qCW, qCW, qCS, qCR, qCO, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieEcho:       {qCR, qIN, qIN, qCR, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieAck:        {qES, qI1, qIN, qCS, qCR, qCW, qCO, qES, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdown:         {qSR, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qSR, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdownAck:      {qCL, qIN, qIN, qCS, qCR, qCW, qCO, qCE, qES, qCL, qSR, qCL, qRJ, qCL},
		SCTPEventShutdownComplete: {qCL, qCL, qCL, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qCL, qRJ, qCL},
		SCTPEventError:            {qCL, qI1, qIN, qCS, qCR, qCW, qCO, qCL, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventAbort:            {qCL, qCL, qCL, qCL, qCL, qRJ, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL},
	},
	DirOutput: {
		//                          qNO, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL
		SCTPEventData:             {qES, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventInit:             {qCW, qCW, qCW, qCW, qCW, qCW, qCW, qCW, qES, qCW, qCW, qCW, qCW, qCW},
		SCTPEventInitAck:          {qCS, qCS, qCS, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieEcho:       {qCE, qCE, qCE, qCE, qCE, qCE, qCE, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieAck:        {qES, qES, qES, qES, qES, qES, qES, qES, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdown:         {qSS, qSS, qSS, qSS, qSS, qSS, qSS, qSS, qSS, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdownAck:      {qSA, qSA, qSA, qSA, qSA, qCW, qCO, qCE, qES, qSA, qSA, qSA, qRJ, qCL},
		SCTPEventShutdownComplete: {qCL, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventError:            {qCL, qCL, qCL, qCL, qCL, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventAbort:            {qCL, qRJ, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL},
	},
	DirInputOnly: {
		//                          qNO, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL
		SCTPEventData:             {qES, qI1, qIN, qCS, qCR, qES, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventInit:             {qI1, qIN, qIN, qIN, qIN, qIN, qCO, qCE, qES, qSS, qSR, qSA, qIN, qIN},
		SCTPEventInitAck:          {qCE, qCE, qCE, qCE, qCE, qCE, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieEcho:       {qES, qES, qES, qES, qES, qES, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventCookieAck:        {qES, qI1, qIN, qES, qES, qCW, qES, qES, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdown:         {qSR, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qSR, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventShutdownAck:      {qCL, qIN, qIN, qCS, qCR, qCW, qCO, qCE, qCL, qCL, qSR, qCL, qRJ, qCL},
		SCTPEventShutdownComplete: {qCL, qCL, qCL, qCL, qCL, qCW, qCO, qCE, qES, qSS, qCL, qCL, qRJ, qCL},
		SCTPEventError:            {qCL, qI1, qIN, qCS, qCR, qCW, qCO, qCE, qES, qSS, qSR, qSA, qRJ, qCL},
		SCTPEventAbort:            {qCL, qCL, qCL, qCL, qCL, qRJ, qCL, qCL, qCL, qCL, qCL, qCL, qCL, qCL},
	},
}

// SCTPNext returns the state an SCTP connection in state s moves to when a
// packet with event ev travels in direction dir, as IPVS's set_sctp_state
// does. A state that is not an SCTP state, an unknown direction or event
// is returned unchanged.
func SCTPNext(s State, dir Dir, ev SCTPEvent) State {
	if !s.IsSCTP() || dir >= numDirs || ev >= numSCTPEvents {
		return s
	}
	return sctpStates[dir][ev][sctpIndex(s)]
}
