package bpf

import "errors"

// Capacities of the program's maps (steer.c MAX_IFACES, MAX_QUEUES,
// MAX_VIPS, MAX_SERVICES, MAX_NAT_SOURCES; TestMapCapacities checks that
// they agree with the compiled object).
const (
	// MaxInterfaces is how many interfaces one Steering can serve.
	MaxInterfaces = 16
	// MaxQueues is how many rx queues per interface can have a socket;
	// queues 0..MaxQueues-1 are valid.
	MaxQueues = 64
	// MaxVIPs is how many distinct service addresses fit in the program.
	MaxVIPs = 4096
	// MaxServices is how many service keys fit in the program.
	MaxServices = 16384
	// MaxNATSources is how many NAT real-server keys fit in the program.
	MaxNATSources = 16384
	// MaxMarkPrefixes is how many distinct mark-rule prefixes fit.
	MaxMarkPrefixes = 1024
	// MaxMarkRules is how many mark rules can apply to one prefix.
	MaxMarkRules = 16
)

// Errors returned by the control methods, wrapped with context.
var (
	// ErrClosed is returned by every method after [Steering.Close].
	ErrClosed = errors.New("steering closed")
	// ErrAttached means the program is already attached to the interface
	// by this Steering.
	ErrAttached = errors.New("already attached")
	// ErrNotAttached means the interface is unknown to this Steering.
	ErrNotAttached = errors.New("interface not attached")
	// ErrBusy means another live process holds an XDP link on the
	// interface; it is left alone.
	ErrBusy = errors.New("interface busy: another process holds its XDP program")
	// ErrTooManyInterfaces means all MaxInterfaces slots are in use.
	ErrTooManyInterfaces = errors.New("too many interfaces")
	// ErrQueue means a queue outside 0..MaxQueues-1.
	ErrQueue = errors.New("queue out of range")
	// ErrProtocol means a protocol other than TCP, UDP or SCTP.
	ErrProtocol = errors.New("unsupported protocol: must be TCP (6), UDP (17) or SCTP (132)")
	// ErrAddress means an invalid (zero) address.
	ErrAddress = errors.New("invalid address")
	// ErrCapacity means a set larger than the map holding it.
	ErrCapacity = errors.New("too many entries")
)
