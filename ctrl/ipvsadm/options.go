package ipvsadm

// argKind says whether an option takes a value (popt's POPT_ARG_NONE,
// POPT_ARG_STRING and POPT_ARG_STRING|POPT_ARGFLAG_OPTIONAL).
type argKind uint8

const (
	argNone argKind = iota
	argRequired
	argOptional
)

// tag identifies an entry of the options table (popt's "val").
type tag uint8

// Option tags, commands first.
const (
	tagNone tag = iota
	tagAddService
	tagEditService
	tagDelService
	tagClear
	tagList
	tagZero
	tagAddServer
	tagEditServer
	tagDelServer
	tagSet
	tagHelp
	tagVersion
	tagRestore
	tagSave
	tagStartDaemon
	tagStopDaemon
	tagTCP
	tagUDP
	tagSCTP
	tagFWMark
	tagScheduler
	tagPersistent
	tagNetmask
	tagRealServer
	tagMasq
	tagIPIP
	tagGate
	tagWeight
	tagUThreshold
	tagLThreshold
	tagNumeric
	tagConnection
	tagMcastIfn
	tagSyncID
	tagTimeout
	tagDaemon
	tagStats
	tagRate
	tagThresholds
	tagPersistentConn
	tagNoSort
	tagSort
	tagExact
	tagIPv6
	tagOps
	tagPE
	tagSchedFlags
	tagMcastGroup
	tagMcastPort
	tagMcastTTL
	tagSyncMaxLen
	tagTunInfo
	tagTunType
	tagTunPort
	tagTunNoCsum
	tagTunCsum
	tagTunRemCsum
	tagFullNAT
	// DPVS's extensions (dpvs.go).
	tagAddLaddr
	tagDelLaddr
	tagGetLaddr
	tagLaddr
	tagIfname
	tagTOA
	tagProxyProtocol
)

// optSpec is one entry of ipvsadm's popt options table.
type optSpec struct {
	long  string
	short byte // 0: long form only
	arg   argKind
	tag   tag
}

// optionsTable is ipvsadm 1.31's options_table[] (plus --fullnat), in its order (popt takes
// the first match, which matters only for the duplicate "list" entry).
var optionsTable = []optSpec{
	{"add-service", 'A', argNone, tagAddService},
	{"edit-service", 'E', argNone, tagEditService},
	{"delete-service", 'D', argNone, tagDelService},
	{"clear", 'C', argNone, tagClear},
	{"list", 'L', argNone, tagList},
	{"list", 'l', argNone, tagList},
	{"zero", 'Z', argNone, tagZero},
	{"add-server", 'a', argNone, tagAddServer},
	{"edit-server", 'e', argNone, tagEditServer},
	{"delete-server", 'd', argNone, tagDelServer},
	{"set", 0, argNone, tagSet},
	{"help", 'h', argNone, tagHelp},
	{"version", 'v', argNone, tagVersion},
	{"restore", 'R', argNone, tagRestore},
	{"save", 'S', argNone, tagSave},
	{"start-daemon", 0, argRequired, tagStartDaemon},
	{"stop-daemon", 0, argRequired, tagStopDaemon},
	{"tcp-service", 't', argRequired, tagTCP},
	{"udp-service", 'u', argRequired, tagUDP},
	{"sctp-service", 0, argRequired, tagSCTP},
	{"fwmark-service", 'f', argRequired, tagFWMark},
	{"scheduler", 's', argRequired, tagScheduler},
	{"persistent", 'p', argOptional, tagPersistent},
	{"netmask", 'M', argRequired, tagNetmask},
	{"real-server", 'r', argRequired, tagRealServer},
	{"masquerading", 'm', argNone, tagMasq},
	{"ipip", 'i', argNone, tagIPIP},
	{"gatewaying", 'g', argNone, tagGate},
	{"weight", 'w', argRequired, tagWeight},
	{"u-threshold", 'x', argRequired, tagUThreshold},
	{"l-threshold", 'y', argRequired, tagLThreshold},
	{"numeric", 'n', argNone, tagNumeric},
	{"connection", 'c', argNone, tagConnection},
	{"mcast-interface", 0, argRequired, tagMcastIfn},
	{"syncid", 0, argRequired, tagSyncID},
	{"timeout", 0, argNone, tagTimeout},
	{"daemon", 0, argNone, tagDaemon},
	{"stats", 0, argNone, tagStats},
	{"rate", 0, argNone, tagRate},
	{"thresholds", 0, argNone, tagThresholds},
	{"persistent-conn", 0, argNone, tagPersistentConn},
	{"nosort", 0, argNone, tagNoSort},
	{"sort", 0, argNone, tagSort},
	{"exact", 'X', argNone, tagExact},
	{"ipv6", '6', argNone, tagIPv6},
	{"ops", 'o', argNone, tagOps},
	{"pe", 0, argRequired, tagPE},
	{"sched-flags", 'b', argRequired, tagSchedFlags},
	{"mcast-group", 0, argRequired, tagMcastGroup},
	{"mcast-port", 0, argRequired, tagMcastPort},
	{"mcast-ttl", 0, argRequired, tagMcastTTL},
	{"sync-maxlen", 0, argRequired, tagSyncMaxLen},
	{"tun-info", 0, argNone, tagTunInfo},
	{"tun-type", 0, argRequired, tagTunType},
	{"tun-port", 0, argRequired, tagTunPort},
	{"tun-nocsum", 0, argNone, tagTunNoCsum},
	{"tun-csum", 0, argNone, tagTunCsum},
	{"tun-remcsum", 0, argNone, tagTunRemCsum},
	// xlvs' extension: DPVS's FULLNAT forwarding method. Long form only:
	// -b is --sched-flags in ipvsadm 1.31.
	{"fullnat", 0, argNone, tagFullNAT},
	// DPVS's local address commands and options, and the client address
	// modes of a service (dpvs.go).
	{"add-laddr", 'P', argNone, tagAddLaddr},
	{"del-laddr", 'Q', argNone, tagDelLaddr},
	{"get-laddr", 'G', argNone, tagGetLaddr},
	{"laddr", 'z', argRequired, tagLaddr},
	{"ifname", 'F', argRequired, tagIfname},
	{"toa", 0, argNone, tagTOA},
	{"proxy-protocol", 0, argRequired, tagProxyProtocol},
}

// findLong returns the table entry whose long name is exactly name (popt
// does not accept abbreviations), or nil.
func findLong(name string) *optSpec {
	for i := range optionsTable {
		if optionsTable[i].long == name {
			return &optionsTable[i]
		}
	}
	return nil
}

// findShort returns the table entry with short name c, or nil.
func findShort(c byte) *optSpec {
	if c == 0 {
		return nil
	}
	for i := range optionsTable {
		if optionsTable[i].short == c {
			return &optionsTable[i]
		}
	}
	return nil
}
