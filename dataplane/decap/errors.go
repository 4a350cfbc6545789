package decap

import "errors"

// MaxVIPs is how many VIPs the program holds (decap.c MAX_VIPS;
// TestMapCapacity checks it against the compiled object).
const MaxVIPs = 1024

// Errors returned by the package, wrapped with context.
var (
	// ErrAddress means an invalid (zero) VIP address.
	ErrAddress = errors.New("invalid VIP address")
	// ErrTooManyVIPs means more than MaxVIPs addresses.
	ErrTooManyVIPs = errors.New("too many VIPs")
	// ErrNotEthernet means an interface whose frames do not start with an
	// Ethernet header: the program reads the IP header at offset 14.
	ErrNotEthernet = errors.New("not an Ethernet interface")
	// ErrAttached means the interface already has the decapsulator.
	ErrAttached = errors.New("decapsulator already attached")
	// ErrNotAttached means the interface has no decapsulator.
	ErrNotAttached = errors.New("no decapsulator attached")
	// ErrForeignProgram means the filter found on the interface does not
	// look like this package's program (maps missing).
	ErrForeignProgram = errors.New("attached program is not the xlvs decapsulator")
)
