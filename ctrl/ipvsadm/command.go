package ipvsadm

import (
	"net/netip"

	"github.com/xlvs/xlvs/ctrl/api"
)

// Format selects a listing format, as ipvsadm's FMT_* flags do.
type Format uint16

// Listing format flags.
const (
	FmtNumeric        Format = 1 << iota // -n: no name lookups
	FmtRule                              // -S: ipvsadm rules
	FmtStats                             // --stats
	FmtRate                              // --rate
	FmtThresholds                        // --thresholds
	FmtPersistentConn                    // --persistent-conn
	FmtNoSort                            // --nosort
	FmtExact                             // --exact
	FmtTunInfo                           // --tun-info
)

// Limits ipvsadm applies while parsing.
const (
	MaxTimeout       = 86400 * 31 // MAX_TIMEOUT: 31 days
	maxNameLen       = 15         // IP_VS_SCHEDNAME_MAXLEN - 1, IP_VS_IFNAME_MAXLEN - 1
	maxSyncMaxLen    = 65535 - 20 - 8
	maxPENameLen     = 16  // strncpy(pe_name, optarg, IP_VS_PENAME_MAXLEN)
	maxSchedFlagsLen = 127 // snprintf(sched_flags_arg[128], "%s", optarg)
	defScheduler     = "wlc"
	defMcastIfn      = "eth0"
	maxWeight        = 1<<31 - 1 // Debian's "enhance weight parameter to INT_MAX"
	maxThreshold     = 1<<31 - 1
	defaultNetmask   = 0xffffffff
)

// DaemonConfig is what --start-daemon/--stop-daemon and the daemon options
// ask for.
type DaemonConfig struct {
	State      string     // "master" or "backup"
	McastIfn   string     // --mcast-interface, "eth0" by default for start
	SyncID     uint8      // --syncid
	SyncMaxLen uint16     // --sync-maxlen, 0: kernel default
	McastGroup netip.Addr // --mcast-group, invalid: kernel default
	McastPort  uint16     // --mcast-port, 0: kernel default
	McastTTL   uint8      // --mcast-ttl, 0: kernel default
}

// Command is one parsed and validated ipvsadm invocation.
type Command struct {
	Cmd    Cmd
	Opts   OptSet // the options given (matrix columns)
	Format Format
	// Service is the virtual service: its key for every command that names
	// one (Opts.Has(OptService)), all its attributes for -A/-E.
	Service api.Service
	// Dest is the real server of -a/-e/-d.
	Dest     api.Dest
	Timeouts api.Timeouts // --set
	Daemon   DaemonConfig // --start-daemon, --stop-daemon

	// Laddr is the local address of -P and -Q (-z, -F; dpvs.go).
	Laddr api.LocalAddr
}

// HasService reports whether the command names a virtual service.
func (c *Command) HasService() bool { return c.Opts.Has(OptService) }
