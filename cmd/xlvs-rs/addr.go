package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// vipDev is where the VIPs go.
const vipDev = "lo"

// hostPrefix is the VIP as a one-address prefix: /32 or /128.
func hostPrefix(a netip.Addr) netip.Prefix {
	return netip.PrefixFrom(a, a.BitLen())
}

// toNetlinkAddr converts a prefix to netlink's form.
func toNetlinkAddr(p netip.Prefix) *netlink.Addr {
	return &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
}

// hasAddr reports whether dev carries exactly the prefix p.
func hasAddr(dev string, p netip.Prefix) (bool, error) {
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return false, fmt.Errorf("interface %s: %w", dev, err)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return false, fmt.Errorf("list addresses of %s: %w", dev, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		if ok && ip.Unmap() == p.Addr() && ones == p.Bits() {
			return true, nil
		}
	}
	return false, nil
}

// addAddr puts p on dev. An IPv6 address goes on without duplicate
// address detection (IFA_F_NODAD): a VIP is on every real server and the
// director by design, and a tentative address cannot be bound
// (EADDRNOTAVAIL) until DAD is over.
func addAddr(dev string, p netip.Prefix) error {
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", dev, err)
	}
	a := toNetlinkAddr(p)
	if p.Addr().Is6() {
		a.Flags |= syscall.IFA_F_NODAD
	}
	if err := netlink.AddrAdd(link, a); err != nil {
		return fmt.Errorf("add %s to %s: %w", p, dev, err)
	}
	return nil
}

// addrWait bounds how long [waitUsable] waits.
const addrWait = 5 * time.Second

// errNotUsable is returned when an address did not become usable in time.
var errNotUsable = errors.New("address not usable")

// waitUsable waits, for at most addrWait, until the IPv6 address p on dev
// is usable: not tentative (a server can bind it) and with its local route
// (packets to it are delivered). Even without DAD the kernel finishes
// adding an IPv6 address on a workqueue, after AddrAdd has returned. An
// address someone else added with DAD is waited for too. IPv4 addresses,
// and addresses on an interface that is down, are not waited for.
func waitUsable(dev string, p netip.Prefix) error {
	if !p.Addr().Is6() {
		return nil
	}
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", dev, err)
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		return nil
	}
	deadline := time.Now().Add(addrWait)
	for {
		why, err := addrState(link, p)
		if err != nil || why == "" {
			return err
		}
		if why == "duplicate address detection failed" || time.Now().After(deadline) {
			return fmt.Errorf("%w: %s on %s: %s", errNotUsable, p, dev, why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// addrState says why p on link is not usable yet ("" when it is).
func addrState(link netlink.Link, p netip.Prefix) (string, error) {
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return "", fmt.Errorf("list addresses of %s: %w", link.Attrs().Name, err)
	}
	ip := net.IP(p.Addr().AsSlice())
	i := slices.IndexFunc(addrs, func(a netlink.Addr) bool { return a.IP.Equal(ip) })
	switch {
	case i < 0:
		return "", fmt.Errorf("%w: %s is not on %s", errNotUsable, p, link.Attrs().Name)
	case addrs[i].Flags&syscall.IFA_F_DADFAILED != 0:
		return "duplicate address detection failed", nil
	case addrs[i].Flags&syscall.IFA_F_TENTATIVE != 0:
		return "still tentative (duplicate address detection)", nil
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Table: syscall.RT_TABLE_LOCAL}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return "", fmt.Errorf("list local routes: %w", err)
	}
	if !slices.ContainsFunc(routes, func(r netlink.Route) bool { return r.Dst != nil && r.Dst.IP.Equal(ip) }) {
		return "no local route yet", nil
	}
	return "", nil
}

// delAddr removes p from dev; an address that is gone already is fine.
func delAddr(dev string, p netip.Prefix) error {
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", dev, err)
	}
	err = netlink.AddrDel(link, toNetlinkAddr(p))
	if err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("remove %s from %s: %w", p, dev, err)
	}
	return nil
}

// defaultRouteDev returns the interface of the IPv4 default route, else
// of the IPv6 one.
func defaultRouteDev() (string, error) {
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteListFiltered(family, &netlink.Route{Table: syscall.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return "", fmt.Errorf("list routes: %w", err)
		}
		for _, r := range routes {
			if (r.Dst == nil || isDefault(r.Dst)) && r.LinkIndex > 0 {
				link, err := netlink.LinkByIndex(r.LinkIndex)
				if err != nil {
					return "", fmt.Errorf("interface of the default route: %w", err)
				}
				return link.Attrs().Name, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no --dev given and no default route to find the interface facing the director", errUsage)
}

func isDefault(n *net.IPNet) bool {
	ones, _ := n.Mask.Size()
	return ones == 0
}
