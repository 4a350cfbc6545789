package netinfo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// NextHop is where the dataplane sends a frame for one destination address:
// what the kernel would use if it forwarded the packet itself.
//
// The dataplane may use a NextHop only when both Resolved and Up are true.
type NextHop struct {
	// IfIndex is the egress interface's index.
	IfIndex int
	// SrcMAC is the egress interface's MAC address.
	SrcMAC [6]byte
	// DstMAC is the next hop's MAC address; valid only when Resolved.
	DstMAC [6]byte
	// Gateway is the route's gateway; the zero Addr when the destination
	// is on-link (then the neighbour is the destination itself).
	Gateway netip.Addr
	// Src is the preferred source address for this destination: the route's
	// source, or else the first usable address of the egress interface of
	// the destination's family; the zero Addr if there is none.
	Src netip.Addr
	// MTU is the path MTU: the egress interface's MTU, lowered by a route
	// or cached path MTU when the kernel reports one.
	MTU int
	// Resolved reports whether DstMAC is valid: the neighbour entry is
	// REACHABLE, STALE, DELAY, PROBE, PERMANENT or NOARP with a MAC.
	Resolved bool
	// Up reports whether the egress interface is administratively up and
	// operationally up (or unknown, as for interfaces without carrier).
	Up bool
}

// Options tune a [Resolver]. Start from [DefaultOptions].
type Options struct {
	// ResolveInterval is how often resolution is triggered again for a
	// next hop that is still unresolved. Must be positive.
	ResolveInterval time.Duration
	// RefreshInterval is how often a STALE neighbour entry of a watched
	// next hop is confirmed (the kernel then sends a unicast probe, and
	// declares the entry FAILED if the neighbour is gone or has a new MAC).
	// Zero disables refreshing; negative values are invalid.
	RefreshInterval time.Duration
	// ReceiveBufferSize is the receive buffer of each netlink subscription
	// socket, in bytes; the kernel caps it at net.core.rmem_max. Zero keeps
	// the kernel default; negative values are invalid.
	ReceiveBufferSize int
}

// DefaultOptions returns the options [NewResolver] uses.
func DefaultOptions() Options {
	return Options{
		ResolveInterval:   time.Second,
		RefreshInterval:   30 * time.Second,
		ReceiveBufferSize: 1 << 20,
	}
}

func (o Options) validate() error {
	if o.ResolveInterval <= 0 {
		return fmt.Errorf("invalid resolve interval %v: must be positive", o.ResolveInterval)
	}
	if o.RefreshInterval < 0 {
		return fmt.Errorf("invalid refresh interval %v: must be zero (disabled) or positive", o.RefreshInterval)
	}
	if o.ReceiveBufferSize < 0 {
		return fmt.Errorf("invalid receive buffer size %d: must be zero (kernel default) or positive", o.ReceiveBufferSize)
	}
	return nil
}

// Errors returned by this package.
var (
	// ErrInterfaceNotFound reports that no interface has the given name.
	ErrInterfaceNotFound = errors.New("interface not found")
	// ErrNotEthernet reports an interface without a 6-byte MAC address,
	// which the dataplane cannot send Ethernet frames on.
	ErrNotEthernet = errors.New("interface has no ethernet address")
)

// InterfaceByName returns the index, MAC address and MTU of the Ethernet
// interface called name, in the network namespace of the calling thread.
// It fails with [ErrInterfaceNotFound] or [ErrNotEthernet].
func InterfaceByName(name string) (index int, mac [6]byte, mtu int, err error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return 0, mac, 0, fmt.Errorf("interface %q: %w", name, ErrInterfaceNotFound)
		}
		return 0, mac, 0, fmt.Errorf("interface %q: %w", name, err)
	}
	info := linkInfoOf(link)
	if !info.ethernet {
		return 0, mac, 0, fmt.Errorf("interface %q: %w", name, ErrNotEthernet)
	}
	return link.Attrs().Index, info.mac, info.mtu, nil
}

// linkInfo is what the resolver keeps of one interface.
type linkInfo struct {
	mac      [6]byte
	ethernet bool // has a 6-byte MAC and is not a loopback
	arp      bool // ethernet and neighbours are resolved (no IFF_NOARP)
	mtu      int
	up       bool
}

func linkInfoOf(link netlink.Link) linkInfo {
	a := link.Attrs()
	info := linkInfo{mtu: a.MTU}
	if len(a.HardwareAddr) == 6 && a.Flags&net.FlagLoopback == 0 {
		info.ethernet = true
		copy(info.mac[:], a.HardwareAddr)
	}
	info.arp = info.ethernet && a.RawFlags&syscall.IFF_NOARP == 0
	info.up = a.Flags&net.FlagUp != 0 &&
		(a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
	return info
}
