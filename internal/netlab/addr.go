package netlab

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrBadAddress is returned for addresses and prefixes that do not parse.
var ErrBadAddress = errors.New("netlab: invalid address")

// AddAddr adds address cidr ("198.18.0.1/24", "fd00::1/64") to interface
// dev. IPv6 addresses are added with IFA_F_NODAD, and on an interface that
// is up AddAddr waits (up to 5s) until the kernel has installed the
// address's local route: IPv6 finishes adding an address on a workqueue,
// even without DAD, and until then packets to it are answered with ICMPv6
// "no route" and it cannot be a source address.
func (ns *NS) AddAddr(dev, cidr string) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrBadAddress, cidr, err)
	}
	if addr.IP.To4() == nil {
		addr.Flags |= unix.IFA_F_NODAD
	}
	h, _ := ns.nl()
	if err := h.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("netlab: add address %s to %s in %s: %w", cidr, dev, nsName(ns), err)
	}
	if addr.IP.To4() == nil && link.Attrs().Flags&net.FlagUp != 0 {
		if err := waitLocalRoute(h, addr.IP, 5*time.Second); err != nil {
			return fmt.Errorf("netlab: address %s on %s in %s: %w", cidr, dev, nsName(ns), err)
		}
	}
	return nil
}

// ErrNotReady is returned when the kernel did not finish setting up an
// address in time.
var ErrNotReady = errors.New("netlab: not ready in time")

// waitLocalRoute polls the local routing table until it holds ip.
func waitLocalRoute(h *netlink.Handle, ip net.IP, limit time.Duration) error {
	filter := &netlink.Route{Table: unix.RT_TABLE_LOCAL}
	deadline := time.Now().Add(limit)
	for {
		routes, err := h.RouteListFiltered(netlink.FAMILY_V6, filter, netlink.RT_FILTER_TABLE)
		if err != nil {
			return fmt.Errorf("list local routes: %w", err)
		}
		for _, r := range routes {
			if r.Type == unix.RTN_LOCAL && r.Dst != nil && r.Dst.IP.Equal(ip) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no local route after %v: %w", limit, ErrNotReady)
		}
		time.Sleep(time.Millisecond)
	}
}

// AddRoute adds a route to dst (a prefix, or "default") via gateway via; the
// kernel picks the interface that reaches via.
func (ns *NS) AddRoute(dst, via string) error {
	gw := net.ParseIP(via)
	if gw == nil {
		return fmt.Errorf("%w gateway %q", ErrBadAddress, via)
	}
	prefix, err := parseDst(dst, gw.To4() != nil)
	if err != nil {
		return err
	}
	h, err := ns.nl()
	if err != nil {
		return err
	}
	if err := h.RouteAdd(&netlink.Route{Dst: prefix, Gw: gw}); err != nil {
		return fmt.Errorf("netlab: add route %s via %s in %s: %w", dst, via, nsName(ns), err)
	}
	return nil
}

// AddRouteDev adds an on-link route to dst (a prefix, or "default" meaning
// the IPv4 default route; use "::/0" for IPv6) out of interface dev.
func (ns *NS) AddRouteDev(dst, dev string) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	prefix, err := parseDst(dst, true)
	if err != nil {
		return err
	}
	h, _ := ns.nl()
	r := &netlink.Route{Dst: prefix, LinkIndex: link.Attrs().Index, Scope: netlink.SCOPE_LINK}
	if err := h.RouteAdd(r); err != nil {
		return fmt.Errorf("netlab: add route %s dev %s in %s: %w", dst, dev, nsName(ns), err)
	}
	return nil
}

// parseDst parses a route destination; "default" is 0.0.0.0/0 or ::/0.
func parseDst(dst string, v4 bool) (*net.IPNet, error) {
	if dst == "default" {
		if v4 {
			return &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, nil
		}
		return &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}, nil
	}
	_, prefix, err := net.ParseCIDR(dst)
	if err != nil {
		return nil, fmt.Errorf("%w destination %q: %v", ErrBadAddress, dst, err)
	}
	return prefix, nil
}

// AddNeigh adds a permanent neighbour (ARP or ND) entry ip -> mac on dev.
func (ns *NS) AddNeigh(dev, ip string, mac net.HardwareAddr) error {
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	addr := net.ParseIP(ip)
	if addr == nil {
		return fmt.Errorf("%w %q", ErrBadAddress, ip)
	}
	family := netlink.FAMILY_V6
	if addr.To4() != nil {
		family = netlink.FAMILY_V4
	}
	h, _ := ns.nl()
	n := &netlink.Neigh{
		LinkIndex:    link.Attrs().Index,
		Family:       family,
		State:        netlink.NUD_PERMANENT,
		IP:           addr,
		HardwareAddr: mac,
	}
	if err := h.NeighSet(n); err != nil {
		return fmt.Errorf("netlab: add neighbour %s lladdr %s on %s in %s: %w", ip, mac, dev, nsName(ns), err)
	}
	return nil
}

// SetSysctl writes value to /proc/sys/<path> inside the namespace, e.g.
// SetSysctl("net/ipv4/ip_forward", "1"). Network sysctls are per namespace:
// the file is opened from a thread that has joined it.
func (ns *NS) SetSysctl(path, value string) error {
	p, err := sysctlPath(path)
	if err != nil {
		return err
	}
	return ns.do(func() error {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("netlab: sysctl %s in %s: %w", path, nsName(ns), err)
		}
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("netlab: sysctl %s=%s in %s: %w", path, value, nsName(ns), err)
		}
		return nil
	})
}

// Sysctl reads /proc/sys/<path> inside the namespace, without the trailing
// newline.
func (ns *NS) Sysctl(path string) (string, error) {
	p, err := sysctlPath(path)
	if err != nil {
		return "", err
	}
	var v string
	err = ns.do(func() error {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("netlab: sysctl %s in %s: %w", path, nsName(ns), err)
		}
		v = strings.TrimRight(string(b), "\n")
		return nil
	})
	return v, err
}

// sysctlPath maps "net/ipv4/ip_forward" or "net.ipv4.ip_forward" to its
// /proc/sys file, refusing paths that escape /proc/sys.
func sysctlPath(path string) (string, error) {
	if !strings.Contains(path, "/") {
		path = strings.ReplaceAll(path, ".", "/")
	}
	clean := filepath.Clean("/" + path)
	if clean == "/" || strings.Contains(path, "..") {
		return "", fmt.Errorf("netlab: invalid sysctl path %q", path)
	}
	return "/proc/sys" + clean, nil
}

// do runs fn inside the namespace; for a nil NS (the process's namespace)
// it runs fn directly.
func (ns *NS) do(fn func() error) error {
	if ns == nil {
		return fn()
	}
	return ns.Do(fn)
}

// AddVIP adds a virtual service address (cidr) to dev as a director
// carries it: an IPv6 one is deprecated (preferred lifetime 0, valid
// forever), so the kernel never picks it as the source of the director's
// own traffic — health checks and pings to real servers that hold the same
// VIP on their loopback would otherwise be answered to themselves. Operators
// do the same with `ip -6 addr add VIP/128 dev eth0 preferred_lft 0`. An
// IPv4 VIP is added as [NS.AddAddr] adds it: a /32 beside the interface's
// primary address is never the preferred source of its subnet's route.
func (ns *NS) AddVIP(dev, cidr string) error {
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrBadAddress, cidr, err)
	}
	if addr.IP.To4() != nil {
		return ns.AddAddr(dev, cidr)
	}
	link, err := ns.Link(dev)
	if err != nil {
		return err
	}
	addr.Flags |= unix.IFA_F_NODAD
	addr.ValidLft = math.MaxUint32 // INFINITY_LIFE_TIME
	addr.PreferedLft = 0
	h, _ := ns.nl()
	if err := h.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("netlab: add VIP %s to %s in %s: %w", cidr, dev, nsName(ns), err)
	}
	if link.Attrs().Flags&net.FlagUp != 0 {
		if err := waitLocalRoute(h, addr.IP, 5*time.Second); err != nil {
			return fmt.Errorf("netlab: VIP %s on %s in %s: %w", cidr, dev, nsName(ns), err)
		}
	}
	return nil
}
