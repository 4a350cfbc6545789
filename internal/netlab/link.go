package netlab

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// LinkOptions configure both ends of a veth pair made by [Lab.Veth].
type LinkOptions struct {
	// MTU of both ends; 0 keeps the kernel default (1500). Native XDP on
	// veth needs MTU <= 3506 unless the program is frags-aware.
	MTU int
	// Queues is the number of TX and RX queues of each end (both ends get
	// the same, as XDP on veth requires); 0 means 1.
	Queues int
	// TxChecksumOff turns TX checksum offload off on both ends, so that
	// local sockets emit complete checksums. A userspace (AF_XDP) forwarder
	// would otherwise forward partial checksums as bad ones.
	TxChecksumOff bool
	// AMAC and BMAC, when set, are the hardware addresses of the two ends.
	AMAC, BMAC net.HardwareAddr
}

// Veth creates a veth pair with end aName in namespace a and end bName in
// namespace b, applies o and brings both ends up. A nil namespace means the
// namespace of the calling process; a link made there is deleted by
// [Lab.Close] and its name must be unique on the host (use the lab ID).
//
// The pair is created in a's namespace with the peer placed directly in b's
// (IFLA_NET_NS_FD), so no temporary names are needed and nothing ever
// appears in a namespace it does not belong to.
func (l *Lab) Veth(a *NS, aName string, b *NS, bName string, o LinkOptions) error {
	if l.isClosed() {
		return ErrClosed
	}
	if err := checkName(aName, 15); err != nil {
		return err
	}
	if err := checkName(bName, 15); err != nil {
		return err
	}
	if a == nil && b == nil {
		return fmt.Errorf("netlab: veth %s/%s: at least one end must be in a lab namespace", aName, bName)
	}
	if a == nil { // create from the lab side so the host end lands by fd
		a, aName, b, bName = b, bName, a, aName
		o.AMAC, o.BMAC = o.BMAC, o.AMAC
	}
	q := o.Queues
	if q <= 0 {
		q = 1
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = aName
	attrs.MTU = o.MTU
	attrs.NumTxQueues = q
	attrs.NumRxQueues = q
	attrs.HardwareAddr = o.AMAC
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: bName, PeerHardwareAddr: o.BMAC}
	var peerFd netns.NsHandle
	if b != nil {
		peerFd = b.Handle
	} else {
		h, err := netns.GetFromPath("/proc/self/ns/net")
		if err != nil {
			return fmt.Errorf("netlab: open host namespace: %w", err)
		}
		defer h.Close()
		peerFd = h
	}
	veth.PeerNamespace = netlink.NsFd(peerFd)
	ha, err := a.nl()
	if err != nil {
		return err
	}
	if err := ha.LinkAdd(veth); err != nil {
		return fmt.Errorf("netlab: add veth %s@%s <-> %s@%s: %w", aName, a.Name, bName, nsName(b), err)
	}
	if b == nil {
		l.registerHostLink(bName)
	}
	ends := []struct {
		ns  *NS
		dev string
	}{{a, aName}, {b, bName}}
	for _, e := range ends {
		if o.TxChecksumOff {
			if err := e.ns.SetTxChecksum(e.dev, false); err != nil {
				return err
			}
		}
		if err := e.ns.SetUp(e.dev); err != nil {
			return err
		}
	}
	return nil
}

// Bridge creates bridge br in ns, enslaves the existing interfaces ports of
// ns to it and brings the bridge and the ports up.
func (l *Lab) Bridge(ns *NS, br string, ports ...string) error {
	if l.isClosed() {
		return ErrClosed
	}
	if err := checkName(br, 15); err != nil {
		return err
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = br
	bridge := &netlink.Bridge{LinkAttrs: attrs}
	h, err := ns.nl()
	if err != nil {
		return err
	}
	if err := h.LinkAdd(bridge); err != nil {
		return fmt.Errorf("netlab: add bridge %s in %s: %w", br, nsName(ns), err)
	}
	if ns == nil {
		l.registerHostLink(br)
	}
	link, err := h.LinkByName(br)
	if err != nil {
		return fmt.Errorf("netlab: bridge %s in %s: %w", br, nsName(ns), err)
	}
	for _, p := range ports {
		port, err := h.LinkByName(p)
		if err != nil {
			return fmt.Errorf("netlab: bridge port %s in %s: %w", p, nsName(ns), err)
		}
		if err := h.LinkSetMaster(port, link); err != nil {
			return fmt.Errorf("netlab: enslave %s to %s in %s: %w", p, br, nsName(ns), err)
		}
		if err := h.LinkSetUp(port); err != nil {
			return fmt.Errorf("netlab: set %s up in %s: %w", p, nsName(ns), err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("netlab: set %s up in %s: %w", br, nsName(ns), err)
	}
	return nil
}

// SetUp brings interface dev of the namespace up.
func (ns *NS) SetUp(dev string) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	h, _ := ns.nl() // Link succeeded, so h is valid
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("netlab: set %s up in %s: %w", dev, nsName(ns), err)
	}
	return nil
}

// SetDown brings interface dev of the namespace down.
func (ns *NS) SetDown(dev string) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	h, _ := ns.nl()
	if err := h.LinkSetDown(link); err != nil {
		return fmt.Errorf("netlab: set %s down in %s: %w", dev, nsName(ns), err)
	}
	return nil
}

// SetMTU sets the MTU of interface dev.
func (ns *NS) SetMTU(dev string, mtu int) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	h, _ := ns.nl()
	if err := h.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("netlab: set mtu %d on %s in %s: %w", mtu, dev, nsName(ns), err)
	}
	return nil
}

// Link returns interface dev of the namespace.
func (ns *NS) Link(dev string) (netlink.Link, error) {
	h, err := ns.nl()
	if err != nil {
		return nil, err
	}
	link, err := h.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("netlab: link %s in %s: %w", dev, nsName(ns), err)
	}
	return link, nil
}

// Links returns the names of all interfaces of the namespace.
func (ns *NS) Links() ([]string, error) {
	h, err := ns.nl()
	if err != nil {
		return nil, err
	}
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netlab: list links in %s: %w", nsName(ns), err)
	}
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Attrs().Name
	}
	return names, nil
}

// LinkIndex returns the ifindex of interface dev.
func (ns *NS) LinkIndex(dev string) (int, error) {
	link, err := ns.Link(dev)
	if err != nil {
		return 0, err
	}
	return link.Attrs().Index, nil
}

// MAC returns the hardware address of interface dev.
func (ns *NS) MAC(dev string) (net.HardwareAddr, error) {
	link, err := ns.Link(dev)
	if err != nil {
		return nil, err
	}
	if len(link.Attrs().HardwareAddr) == 0 {
		return nil, fmt.Errorf("netlab: %s in %s has no hardware address", dev, nsName(ns))
	}
	return link.Attrs().HardwareAddr, nil
}

// hostHandle is a netlink handle with no namespace: it opens its sockets in
// the calling thread's namespace, i.e. the process's.
var hostHandle = &netlink.Handle{}

// nl returns the namespace's netlink handle; a nil NS means the process's
// own namespace. It fails once the lab removed the namespace.
func (ns *NS) nl() (*netlink.Handle, error) {
	if ns == nil {
		return hostHandle, nil
	}
	if h := ns.Netlink; h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("netlab: namespace %s: %w", ns.Name, ErrClosed)
}

func nsName(ns *NS) string {
	if ns == nil {
		return "host namespace"
	}
	return ns.Name
}
