package sync

import (
	"errors"
	"net/netip"
)

// Transport defaults (ip_vs.h, ip_vs_sync.c).
var (
	// DefaultGroup4 is IP_VS_SYNC_GROUP, the default multicast group.
	DefaultGroup4 = netip.AddrFrom4([4]byte{224, 0, 0, 81})
)

// More transport defaults.
const (
	DefaultPort = 8848 // IP_VS_SYNC_PORT
	DefaultTTL  = 1    // the default multicast TTL
	// DefaultMTU is the MTU a master sizes its messages by; a backup
	// uses its interface's MTU, at least 1500.
	DefaultMTU = 1500
	// HeaderLen4 and HeaderLen6 are the IP and UDP header bytes a
	// message's maximum length leaves room for: sync_maxlen defaults to
	// MTU minus these.
	HeaderLen4 = 20 + 8
	HeaderLen6 = 40 + 8
)

// Message layout, version 1 (struct ip_vs_sync_mesg):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      0        |    SyncID     |            Size               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Count Conns  |    Version    |    Reserved, set to Zero      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// followed by Count Conns entries, each starting on a 4-byte boundary
// (zero padding, counted in Size). An entry (struct ip_vs_sync_v4/v6):
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    Type       |    Protocol   | Ver.  |        Size           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                             Flags                             |
//	|            State              |         cport                 |
//	|            vport              |         dport                 |
//	|                             fwmark                            |
//	|                             timeout  (in sec.)                |
//	|                   caddr, vaddr, daddr (4 or 16 bytes each)    |
//	| optional parameters: type, length, data ...                   |
//
// Every multi-byte field is big-endian.
const (
	HeaderLen   = 8  // version 1 message header
	HeaderLenV0 = 4  // version 0 message header
	ConnLen4    = 36 // version 1 IPv4 entry without options
	ConnLen6    = 72 // version 1 IPv6 entry without options
	ConnLenV0   = 24 // version 0 entry without options
	SeqOptLen   = 24 // struct ip_vs_sync_conn_options: in_seq, out_seq
	// Version is SYNC_PROTO_VER, the message version this package sends.
	Version = 1

	typeInet6  = 1     // STYPE_F_INET6 in an entry's type
	sverShift  = 12    // SVER_SHIFT: entry version in the top 4 bits
	sverMask   = 0xfff // SVER_MASK: entry size in the low 12
	maxConns   = 255   // an entry count is one byte
	PEDataMax  = 255   // IP_VS_PEDATA_MAXLEN
	PENameMax  = 16    // IP_VS_PENAME_MAXLEN
	optSeqData = 1     // IPVS_OPT_SEQ_DATA
	optPEData  = 2     // IPVS_OPT_PE_DATA
	optPEName  = 3     // IPVS_OPT_PE_NAME
	optFParam  = 0x40  // IPVS_OPT_F_PARAM: a parameter an unaware receiver may skip
)

// Connection flags (IP_VS_CONN_F_*, include/uapi/linux/ip_vs.h).
const (
	FlagFwdMask   = 0x0007
	FlagMasq      = 0x0000
	FlagLocalNode = 0x0001
	FlagTunnel    = 0x0002
	FlagDRoute    = 0x0003
	FlagBypass    = 0x0004
	FlagSync      = 0x0020
	FlagHashed    = 0x0040
	FlagNoOutput  = 0x0080
	FlagInactive  = 0x0100
	FlagOutSeq    = 0x0200
	FlagInSeq     = 0x0400
	FlagSeqMask   = 0x0600
	FlagNoCPort   = 0x0800
	FlagTemplate  = 0x1000
	FlagOnePacket = 0x2000
	// FlagBackupMask are the flags a backup keeps from a message
	// (IP_VS_CONN_F_BACKUP_MASK).
	FlagBackupMask = FlagFwdMask | FlagNoOutput | FlagInactive | FlagSeqMask | FlagNoCPort | FlagTemplate
)

// Seq is struct ip_vs_seq: TCP sequence adjustment of a NAT connection
// whose payload was resized (FTP).
type Seq struct {
	InitSeq, Delta, PreviousDelta uint32
}

// Conn is one connection entry of a sync message.
type Conn struct {
	Protocol uint8  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP; 0 for firewall-mark templates
	Flags    uint32 // IP_VS_CONN_F_* (Flag constants)
	State    uint16 // the protocol's state number, 0 for templates
	CPort    uint16
	VPort    uint16
	DPort    uint16
	FWMark   uint32
	Timeout  uint32 // seconds; 0 (version 0): the backup's own timeout
	// Client, Virtual and Dest are all IPv4 or all IPv6.
	Client, Virtual, Dest netip.Addr
	// HasSeq says the entry carried InSeq and OutSeq (the
	// IPVS_OPT_SEQ_DATA option). Encoding sends them when Flags has a
	// FlagSeqMask bit, as the kernel does.
	HasSeq        bool
	InSeq, OutSeq Seq
	// PEData and PEName are a persistence engine's data and name
	// (IPVS_OPT_PE_DATA, IPVS_OPT_PE_NAME; PEName is sent only with PEData).
	PEData []byte
	PEName string
}

// Message is a decoded sync message.
type Message struct {
	Version int   // 1, or 0 for the legacy format
	SyncID  uint8 // the master's sync id
	Conns   []Conn
	// Skipped counts entries dropped one by one while the rest of the
	// message is kept: those with an unknown mandatory option.
	Skipped int
}

// Errors of [Decode]: the message is dropped (entries decoded before the
// error are returned, as the kernel applies them before it stops).
var (
	ErrShort      = errors.New("sync message shorter than its header")
	ErrSize       = errors.New("sync message size field differs from its length")
	ErrSyncID     = errors.New("sync message of another sync id")
	ErrTruncated  = errors.New("sync message entry overruns the message")
	ErrEntryVer   = errors.New("sync message entry of an unknown version")
	ErrEntryType  = errors.New("sync message entry of an unknown type")
	ErrOption     = errors.New("sync message entry with a malformed option")
	ErrMixedAF    = errors.New("connection addresses of different families")
	ErrPEDataSize = errors.New("persistence engine data or name too long")
)

// connLen returns the length of c's entry without padding, options
// included, and whether it is IPv6.
func connLen(c *Conn) (int, bool) {
	v6 := c.Client.Is6() && !c.Client.Is4In6()
	n := ConnLen4
	if v6 {
		n = ConnLen6
	}
	if c.Flags&FlagSeqMask != 0 {
		n += 2 + SeqOptLen
	}
	if len(c.PEData) > 0 {
		n += 2 + len(c.PEData)
		if c.PEName != "" {
			n += 2 + len(c.PEName)
		}
	}
	return n, v6
}
