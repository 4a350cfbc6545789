package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

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

// addAddr puts p on dev.
func addAddr(dev string, p netip.Prefix) error {
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("interface %s: %w", dev, err)
	}
	if err := netlink.AddrAdd(link, toNetlinkAddr(p)); err != nil {
		return fmt.Errorf("add %s to %s: %w", p, dev, err)
	}
	return nil
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
