package netlab

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SetTxChecksum turns TX checksum offload of interface dev on or off, like
// `ethtool -K dev tx on|off`, with the ETHTOOL_STXCSUM ioctl issued from a
// socket inside the namespace.
//
// Why labs turn it off: a local socket sending over veth leaves a partial
// checksum (CHECKSUM_PARTIAL) for the "hardware" to finish. The kernel
// finishes it if the packet stays an skb, but an AF_XDP forwarder sees only
// the bytes and would forward them with a bad checksum.
func (ns *NS) SetTxChecksum(dev string, on bool) error {
	var v uint32
	if on {
		v = 1
	}
	err := ns.do(func() error { return ethtoolValue(dev, unix.ETHTOOL_STXCSUM, &v) })
	if err != nil {
		return fmt.Errorf("netlab: set tx checksum offload %v on %s in %s: %w", on, dev, nsName(ns), err)
	}
	return nil
}

// TxChecksum reports whether TX checksum offload is on for interface dev
// (ETHTOOL_GTXCSUM).
func (ns *NS) TxChecksum(dev string) (bool, error) {
	var v uint32
	err := ns.do(func() error { return ethtoolValue(dev, unix.ETHTOOL_GTXCSUM, &v) })
	if err != nil {
		return false, fmt.Errorf("netlab: get tx checksum offload of %s in %s: %w", dev, nsName(ns), err)
	}
	return v != 0, nil
}

// ethtoolValue issues an ethtool command carrying a struct ethtool_value
// on a datagram socket opened in the calling thread's namespace. For GET
// commands *v receives the data; for SET commands *v is the data.
func ethtoolValue(dev string, cmd uint32, v *uint32) error {
	if len(dev) >= unix.IFNAMSIZ {
		return fmt.Errorf("%w %q: longer than %d", ErrBadName, dev, unix.IFNAMSIZ-1)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	return ioctlEthtoolValue(fd, dev, cmd, v)
}
