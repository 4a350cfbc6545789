package health

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// CheckType is a keepalived checker.
type CheckType uint8

// Checkers xlvs runs, under keepalived's block names.
const (
	TCPCheck  CheckType = iota + 1 // TCP_CHECK: a TCP connect
	HTTPGet                        // HTTP_GET: status code and body digest of URLs
	SSLGet                         // SSL_GET: HTTP_GET over TLS (certificates not verified, as keepalived without ca)
	MiscCheck                      // MISC_CHECK: a program's exit code
	PingCheck                      // PING_CHECK: ICMP or ICMPv6 echo
)

// String returns keepalived's name of the checker ("TCP_CHECK").
func (t CheckType) String() string {
	switch t {
	case TCPCheck:
		return "TCP_CHECK"
	case HTTPGet:
		return "HTTP_GET"
	case SSLGet:
		return "SSL_GET"
	case MiscCheck:
		return "MISC_CHECK"
	case PingCheck:
		return "PING_CHECK"
	}
	return fmt.Sprintf("CheckType(%d)", uint8(t))
}

// Keepalived's defaults (check_api.c, check_data.c).
const (
	DefaultDelayLoop      = 60 * time.Second // KEEPALIVED_DEFAULT_DELAY
	DefaultConnectTimeout = 5 * time.Second
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// URL is one url block of HTTP_GET or SSL_GET. All URLs of a check must
// pass for the check to pass.
type URL struct {
	Path string
	// Digest is the lowercase hex MD5 of the body (keepalived's genhash);
	// empty: not checked.
	Digest string
	// Status lists the accepted status codes; empty: 200-299.
	Status []StatusRange
	// VirtualHost is the Host header for this URL; empty: the check's.
	VirtualHost string
}

// Check is one checker of a real server, with keepalived's options. The
// zero values of durations mean zero: [DefaultCheck] returns keepalived's
// defaults for a checker type.
type Check struct {
	Type CheckType

	// Where and how to connect (all checkers but MISC_CHECK).
	ConnectIP      netip.Addr // zero: the real server's address
	ConnectPort    uint16     // 0: the real server's port
	BindTo         netip.Addr // source address; zero: the kernel's choice
	BindPort       uint16
	BindIf         string // SO_BINDTODEVICE
	FWMark         uint32 // SO_MARK
	ConnectTimeout time.Duration

	// Timers.
	DelayLoop        time.Duration // between checks of a healthy (or down) server
	Retry            int           // failures tolerated before "down" (keepalived: retry)
	DelayBeforeRetry time.Duration // between retries
	// Warmup bounds the random delay before the first check; negative: up
	// to DelayLoop (keepalived's default), 0: start at once.
	Warmup         time.Duration
	Alpha          bool // start as failed
	LogAllFailures bool

	// HTTP_GET / SSL_GET.
	URLs         []URL
	HTTPProtocol string // "1.0" (default), "1.0C", "1.1"
	VirtualHost  string

	// MISC_CHECK.
	MiscPath    []string      // program and arguments
	MiscTimeout time.Duration // 0: DelayLoop
	MiscDynamic bool          // exit code 2..255 = healthy with weight code-2
}

// DefaultCheck returns keepalived 2.2.7's defaults for checker t: delay_loop
// 60s, connect_timeout 5s, retry 1 (0 for MISC_CHECK), delay_before_retry 1s
// (3s for HTTP_GET and SSL_GET), warmup up to delay_loop.
func DefaultCheck(t CheckType) Check {
	c := Check{
		Type:             t,
		ConnectTimeout:   DefaultConnectTimeout,
		DelayLoop:        DefaultDelayLoop,
		Retry:            1,
		DelayBeforeRetry: time.Second,
		Warmup:           -1,
	}
	switch t {
	case HTTPGet, SSLGet:
		c.DelayBeforeRetry = 3 * time.Second
	case MiscCheck:
		c.Retry = 0
	}
	return c
}

// Real is a real server of a service with the checks that decide whether
// it is scheduled.
type Real struct {
	// Dest is the real server as configured (its Weight is the configured
	// weight).
	Dest api.Dest
	// Inhibit keeps a failed real server at weight 0 instead of removing it
	// (inhibit_on_failure).
	Inhibit bool
	// Checks must all pass for the server to be healthy; none: always
	// healthy.
	Checks []Check
}

// Service is a virtual service under health checking.
type Service struct {
	// Service holds the key and attributes (Dests and Stats are ignored).
	Service api.Service
	Reals   []Real
	// Sorry is added when quorum is lost (sorry_server); nil: none.
	Sorry *api.Dest
	// SorryInhibit keeps the sorry server at weight 0 while quorum holds
	// (sorry_server_inhibit).
	SorryInhibit bool
	// Quorum is the minimum sum of the weights of healthy real servers
	// (keepalived's default 1); Hysteresis widens it both ways.
	Quorum, Hysteresis uint32
}
