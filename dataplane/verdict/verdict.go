package verdict

//go:generate go tool stringer -type=Verdict,DropReason -linecomment -output verdict_string.go

// Verdict is the fate of one frame after processing.
type Verdict uint8

// Verdicts returned by the per-packet path.
const (
	Drop    Verdict = iota // drop
	Tx                     // tx
	Handoff                // handoff
	Local                  // local
)

// DropReason says why a frame was dropped. Zero means "not dropped".
type DropReason uint8

// Drop reasons, one per counter. Keep the line comments short and stable:
// they are metric label values.
const (
	None             DropReason = iota // none
	Truncated                          // truncated
	BadEtherType                       // unknown-ethertype
	BadIPVersion                       // bad-ip-version
	BadIHL                             // bad-ihl
	BadLength                          // bad-length
	IPv4Options                        // ipv4-options
	Fragment                           // fragment
	BadExtHeader                       // bad-ipv6-ext-header
	UnsupportedProto                   // unsupported-protocol
	TTLExceeded                        // ttl-exceeded
	NoService                          // no-service
	NoDest                             // no-destination
	DestUnavailable                    // destination-unavailable
	NoNextHop                          // no-next-hop
	ConnTableFull                      // conntrack-full
	HandoffFull                        // handoff-ring-full
	TxRingFull                         // tx-ring-full
	FrameTooBig                        // frame-too-big
	NotSyn                             // tcp-not-syn
	NoConnection                       // no-connection
	Unsupported                        // unsupported-method
	ReplyTupleInUse                    // reply-tuple-in-use
	NoHeadroom                         // no-headroom
	TooBig                             // too-big-icmp-sent
	TooBigNoDF                         // too-big-not-df
	ICMPNotError                       // icmp-not-error
	ICMPBadQuote                       // icmp-bad-quote
	ICMPNoConnection                   // icmp-no-connection
	SrcPortZero                        // source-port-zero
	ReplyTableFull                     // reply-table-full
	NoLocalPort                        // fullnat-no-local-port
	ProxyOutOfOrder                    // proxy-out-of-order
	ProxySynData                       // proxy-syn-data
	ProxyNoRoom                        // proxy-no-room
	SCTPNotInit                        // sctp-not-init
	SIPNotUDP                          // sip-not-udp
	SIPNoCallID                        // sip-no-callid
	NoLocalDevice                      // no-local-device
	LocalFailed                        // local-delivery-failed
	NumReasons                         // (count)
)
