package api

// Op names one control operation. The set mirrors IPVS's commands.
type Op string

// Operations understood by xlvsd.
const (
	OpGetInfo     Op = "get-info"
	OpListService Op = "list-services" // all services with their dests
	OpGetService  Op = "get-service"   // one service (Request.Service.Key) with its dests
	OpAddService  Op = "add-service"
	OpEditService Op = "edit-service"
	OpDelService  Op = "del-service"
	OpFlush       Op = "flush"
	OpAddDest     Op = "add-dest"
	OpEditDest    Op = "edit-dest"
	OpDelDest     Op = "del-dest"
	OpZero        Op = "zero" // Request.Service nil: all services
	OpGetTimeouts Op = "get-timeouts"
	OpSetTimeouts Op = "set-timeouts"
	OpListConns   Op = "list-conns"
	OpGetCounters Op = "get-counters" // xlvs' own counters (not in ipvsadm)
)

// Request is one control request.
type Request struct {
	Op       Op        `json:"op"`
	Service  *Service  `json:"service,omitempty"`
	Dest     *Dest     `json:"dest,omitempty"`
	Timeouts *Timeouts `json:"timeouts,omitempty"`

	// Laddr is the local address of OpAddLaddr and OpDelLaddr.
	Laddr *LocalAddr `json:"laddr,omitempty"`

	// MarkRule is the rule of the mark-rule operations (mark.go).
	MarkRule *MarkRule `json:"mark_rule,omitempty"`

	// Daemon is the sync daemon of OpStartDaemon and OpStopDaemon (sync.go).
	Daemon *Daemon `json:"daemon,omitempty"`
}

// Response answers one Request. Err is nil on success.
type Response struct {
	Err      *Error    `json:"error,omitempty"`
	Info     *Info     `json:"info,omitempty"`
	Services []Service `json:"services,omitempty"`
	Timeouts *Timeouts `json:"timeouts,omitempty"`
	Conns    []Conn    `json:"conns,omitempty"`
	// MarkRules answers OpListMarkRules (mark.go).
	MarkRules []MarkRule `json:"mark_rules,omitempty"`
	// Counters are xlvs' own dataplane counters by name (OpGetCounters):
	// worker totals, drops by reason ("drop-<reason>") and the XDP
	// program's steering verdicts ("xdp-<reason>").
	Counters map[string]uint64 `json:"counters,omitempty"`

	// Laddrs are the local addresses of a service (OpGetLaddrs).
	Laddrs []LocalAddr `json:"laddrs,omitempty"`

	// Daemons answers OpGetDaemons (sync.go).
	Daemons []Daemon `json:"daemons,omitempty"`
}
