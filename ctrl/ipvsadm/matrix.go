package ipvsadm

// Cmd is an ipvsadm command. The first fourteen are the rows of ipvsadm's
// command/option matrix, in its order.
type Cmd uint8

// Commands.
const (
	CmdNone Cmd = iota
	CmdAddService
	CmdEditService
	CmdDelService
	CmdFlush
	CmdList
	CmdAddServer
	CmdDelServer
	CmdEditServer
	CmdSetTimeouts
	CmdStartDaemon
	CmdStopDaemon
	CmdRestore
	CmdSave
	CmdZero
	CmdHelp    // -h: usage on stdout
	CmdVersion // -v: version line on stdout
	// DPVS's local address commands (dpvs.go).
	CmdAddLaddr // -P
	CmdDelLaddr // -Q
	CmdGetLaddr // -G
)

// cmdNames are ipvsadm's cmdnames[], used in messages.
var cmdNames = [...]string{
	CmdAddService:  "add-service",
	CmdEditService: "edit-service",
	CmdDelService:  "delete-service",
	CmdFlush:       "flush",
	CmdList:        "list",
	CmdAddServer:   "add-server",
	CmdDelServer:   "delete-server",
	CmdEditServer:  "edit-server",
	CmdSetTimeouts: "set",
	CmdStartDaemon: "start-daemon",
	CmdStopDaemon:  "stop-daemon",
	CmdRestore:     "restore",
	CmdSave:        "save",
	CmdZero:        "zero",
	CmdHelp:        "help",
	CmdVersion:     "version",
	CmdAddLaddr:    "add-laddr",
	CmdDelLaddr:    "del-laddr",
	CmdGetLaddr:    "get-laddr",
}

// String returns ipvsadm's name of the command.
func (c Cmd) String() string {
	if int(c) < len(cmdNames) && cmdNames[c] != "" {
		return cmdNames[c]
	}
	return "none"
}

// Opt is one column of the command/option matrix: an option that may be
// given at most once. -6 and --sort have none.
type Opt uint8

// Options, in matrix column order.
const (
	OptNumeric Opt = iota
	OptConnection
	OptService
	OptScheduler
	OptPersistent
	OptNetmask
	OptServer
	OptForward
	OptWeight
	OptUThreshold
	OptLThreshold
	OptMcastIfn
	OptTimeout
	OptDaemon
	OptStats
	OptRate
	OptThresholds
	OptPersistentConn
	OptNoSort
	OptSyncID
	OptExact
	OptOnePacket
	OptPE
	OptSchedFlags
	OptMcastGroup
	OptMcastPort
	OptMcastTTL
	OptSyncMaxLen
	OptTunInfo
	OptTunType
	OptTunPort
	OptTunNoCsum
	OptTunCsum
	OptTunRemCsum
	numOpts
)

// optNames are ipvsadm's optnames[], used in messages.
var optNames = [numOpts]string{
	"numeric", "connection", "service-address", "scheduler", "persistent",
	"netmask", "real-server", "forwarding-method", "weight", "u-threshold",
	"l-threshold", "mcast-interface", "timeout", "daemon", "stats", "rate",
	"thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
	"sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen",
	"tun-info", "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
}

// String returns ipvsadm's name of the option.
func (o Opt) String() string {
	if o < numOpts {
		return optNames[o]
	}
	return "?"
}

// OptSet is a set of options, bit i standing for Opt(i).
type OptSet uint64

// Has reports whether o is in the set.
func (s OptSet) Has(o Opt) bool { return s&(1<<o) != 0 }

// HasAny reports whether any of os is in the set.
func (s OptSet) HasAny(os ...Opt) bool {
	for _, o := range os {
		if s.Has(o) {
			return true
		}
	}
	return false
}

// commandsVOptions is ipvsadm 1.31's commands_v_options[] verbatim:
// '+' compulsory, 'x' illegal, '1' at most one of the '1's, ' ' optional.
var commandsVOptions = [CmdZero][numOpts]byte{
	/*           -n   -c   svc  -s   -p   -M   -r   fwd  -w   -x   -y   -mc  tot  dmn  -st  -rt  thr  -pc  srt  sid  -ex  ops  -pe  -b   grp  port ttl  size tinf type tprt nocs csum remc */
	/*ADD*/ {'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*EDIT*/ {'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*DEL*/ {'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*FLUSH*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*LIST*/ {' ', '1', '1', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', '1', '1', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x'},
	/*ADDSRV*/ {'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', ' '},
	/*DELSRV*/ {'x', 'x', '+', 'x', 'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*EDITSRV*/ {'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', ' '},
	/*TIMEOUT*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*STARTD*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*STOPD*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*RESTORE*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*SAVE*/ {' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/*ZERO*/ {'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
}

// genericOptCheck is generic_opt_check(): it walks the matrix row of cmd
// column by column and reports the first violation.
func genericOptCheck(cmd Cmd, opts OptSet) error {
	row := &commandsVOptions[cmd-1]
	count, last := 0, Opt(0)
	for j := Opt(0); j < numOpts; j++ {
		if !opts.Has(j) {
			if row[j] == '+' {
				return failf("You need to supply the '%s' option for the '%s' command", j, cmd)
			}
			continue
		}
		switch row[j] {
		case 'x':
			return failf("Illegal '%s' option with the '%s' command", j, cmd)
		case '1':
			count++
			if count == 1 {
				last = j
				continue
			}
			return failf("The option '%s' conflicts with the '%s' option in the '%s' command", j, last, cmd)
		}
	}
	return nil
}

// tunNames are the tunnel type names, indexed by api.TunIPIP/TunGUE/TunGRE.
var tunNames = [...]string{"ipip", "gue", "gre"}

// tunOpts are the columns of tunnel_types_v_options[].
var tunOpts = [...]Opt{OptTunPort, OptTunNoCsum, OptTunCsum, OptTunRemCsum}

// tunnelTypesVOptions is ipvsadm 1.31's tunnel_types_v_options[].
var tunnelTypesVOptions = [len(tunNames)][len(tunOpts)]byte{
	/*          tprt nocs csum remc */
	/* ipip */ {'x', 'x', 'x', 'x'},
	/* gue */ {'+', '1', '1', '1'},
	/* gre */ {'x', '1', '1', 'x'},
}

// tunnelOptCheck is tunnel_opt_check() for tunnel type tt.
func tunnelOptCheck(tt uint8, opts OptSet) error {
	row := &tunnelTypesVOptions[tt]
	count, last := 0, Opt(0)
	for j, k := range tunOpts {
		if !opts.Has(k) {
			if row[j] == '+' {
				return failf("You need to supply the '%s' option for the '%s' tunnel type", k, tunNames[tt])
			}
			continue
		}
		switch row[j] {
		case 'x':
			return failf("Illegal '%s' option with the '%s' tunnel type", k, tunNames[tt])
		case '1':
			count++
			if count == 1 {
				last = k
				continue
			}
			return failf("The option '%s' conflicts with the '%s' option in the '%s' tunnel type", k, last, tunNames[tt])
		}
	}
	return nil
}
