package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/internal/tap"
)

// defaultLocalDev is the TAP device through which the workers deliver the
// packets of local-node real servers (--local-dev).
const defaultLocalDev = "xlvs-local"

// startLocal creates the local-node device, one queue per worker, and
// gives the queues to the workers (engine/local.go). The kernel receives
// what the workers write to it as if it had arrived on the device, so the
// device must pass the reverse-path check for sources routed elsewhere
// (loosenReversePath). Without a name there is no device and local-node
// packets are dropped (no-local-device).
func (d *daemon) startLocal(name string, queues int) error {
	if name == "" {
		return nil
	}
	dev, err := tap.Create(name, queues)
	if err != nil {
		return fmt.Errorf("local-node device (--local-dev): %w", err)
	}
	d.local = dev
	if err := loosenReversePath(dev); err != nil {
		return fmt.Errorf("local-node device %s: %w", name, err)
	}
	ports := make([]port.Local, queues)
	for i, q := range dev.Queues() {
		ports[i] = q
	}
	if err := d.eng.SetLocal(ports); err != nil {
		return err
	}
	d.log.Info("local-node real servers are delivered to this host's stack", "device", name,
		"note", "their VIPs must be addresses of this host")
	return nil
}

// localDevAddr is the IPv4 address the local-node device carries so that
// the kernel's loose reverse-path check can pass there: an interface
// without an IPv4 address fails any rp_filter but 0 (__fib_validate_source
// treats it as strict). A loopback address with host scope adds no address
// the network can reach (127/8 from outside is a martian).
var localDevAddr = &net.IPNet{IP: net.IPv4(127, 255, 255, 254), Mask: net.CIDRMask(32, 32)}

// loosenReversePath makes the kernel accept on dev packets whose source
// it would route elsewhere (the clients are behind the served
// interfaces): loose mode (rp_filter 2; the effective value is the
// maximum of all and the device's, so loose whatever all says) and an
// IPv4 address. IPv6 has no reverse-path filter of its own.
func loosenReversePath(dev *tap.Device) error {
	rp := filepath.Join("/proc/sys/net/ipv4/conf", dev.Name(), "rp_filter")
	if err := os.WriteFile(rp, []byte("2"), 0o644); err != nil {
		return err
	}
	l, err := netlink.LinkByIndex(dev.Index())
	if err != nil {
		return err
	}
	return netlink.AddrAdd(l, &netlink.Addr{IPNet: localDevAddr, Scope: int(netlink.SCOPE_HOST)})
}

// stopLocal removes the local-node device; the workers must have stopped.
func (d *daemon) stopLocal() error {
	if d.local == nil {
		return nil
	}
	return d.local.Close()
}
