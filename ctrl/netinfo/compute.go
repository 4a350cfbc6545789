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

// neighKey names a neighbour entry: an address on an interface.
type neighKey struct {
	ifIndex int
	addr    netip.Addr
}

// neighInfo is what the resolver keeps of one neighbour entry.
type neighInfo struct {
	state  int
	mac    [6]byte
	hasMAC bool
}

// nudValid are the neighbour states in which the link-layer address may be
// used to send (include/net/neighbour.h NUD_VALID minus NUD_NOARP entries
// without an address, which hasMAC excludes).
const nudValid = netlink.NUD_REACHABLE | netlink.NUD_STALE | netlink.NUD_DELAY |
	netlink.NUD_PROBE | netlink.NUD_PERMANENT | netlink.NUD_NOARP

func (n neighInfo) resolved() bool {
	return n.hasMAC && n.state&nudValid != 0
}

// neighOf converts a kernel neighbour entry; ok is false for entries the
// resolver ignores (other families, proxy entries).
func neighOf(n *netlink.Neigh) (neighKey, neighInfo, bool) {
	if n.Family != netlink.FAMILY_V4 && n.Family != netlink.FAMILY_V6 || n.Flags&netlink.NTF_PROXY != 0 {
		return neighKey{}, neighInfo{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return neighKey{}, neighInfo{}, false
	}
	info := neighInfo{state: n.State}
	if len(n.HardwareAddr) == 6 {
		info.hasMAC = true
		copy(info.mac[:], n.HardwareAddr)
	}
	return neighKey{ifIndex: n.LinkIndex, addr: a.Unmap()}, info, true
}

// resolve computes e from the kernel's route to addr and the caches.
// r.mu must be held.
func (r *Resolver) resolve(addr netip.Addr, e *entry) {
	e.found = false
	e.nh = NextHop{}
	routes, err := r.h.RouteGet(addr.AsSlice())
	if err != nil || len(routes) == 0 {
		return
	}
	rt := &routes[0]
	if rt.Type != syscall.RTN_UNICAST || rt.LinkIndex <= 0 {
		return
	}
	link, ok := r.link(rt.LinkIndex)
	if !ok {
		return
	}
	nh := NextHop{
		IfIndex: rt.LinkIndex,
		SrcMAC:  link.mac,
		MTU:     link.mtu,
		Up:      link.up,
		Gateway: gatewayOf(rt),
	}
	if rt.MTU > 0 && rt.MTU < nh.MTU {
		nh.MTU = rt.MTU
	}
	nh.Src = ipAddr(rt.Src)
	if !nh.Src.IsValid() {
		nh.Src = r.firstAddr(rt.LinkIndex, addr.Is4())
	}
	target := addr
	if nh.Gateway.IsValid() {
		target = nh.Gateway
	}
	e.nh = nh
	e.found = true
	e.key = neighKey{ifIndex: rt.LinkIndex, addr: target}
	e.arp = link.arp
	r.applyNeigh(e)
}

// applyNeigh sets the neighbour part of e.nh from the neighbour cache.
// r.mu must be held.
func (r *Resolver) applyNeigh(e *entry) {
	n, ok := r.neighs[e.key]
	if ok && n.resolved() {
		e.nh.DstMAC, e.nh.Resolved = n.mac, true
		return
	}
	e.nh.DstMAC, e.nh.Resolved = [6]byte{}, false
}

// gatewayOf returns the route's gateway, also when it is of the other
// family (an IPv4 route via an IPv6 next hop, RFC 5549).
func gatewayOf(rt *netlink.Route) netip.Addr {
	if gw := ipAddr(rt.Gw); gw.IsValid() {
		return gw
	}
	if via, ok := rt.Via.(*netlink.Via); ok && via != nil {
		return ipAddr(via.Addr)
	}
	return netip.Addr{}
}

// ipAddr converts a net.IP, mapping IPv4-in-IPv6 to IPv4 and nil or
// unspecified addresses to the zero Addr.
func ipAddr(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || a.IsUnspecified() {
		return netip.Addr{}
	}
	return a.Unmap()
}

// firstAddr returns the first usable address of the interface in the given
// family, preferring global scope. r.mu must be held.
func (r *Resolver) firstAddr(ifIndex int, v4 bool) netip.Addr {
	family := netlink.FAMILY_V6
	if v4 {
		family = netlink.FAMILY_V4
	}
	dev := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: ifIndex}}
	addrs, err := r.h.AddrList(dev, family)
	if err != nil {
		return netip.Addr{}
	}
	var fallback netip.Addr
	for _, a := range addrs {
		if a.Flags&(syscall.IFA_F_TENTATIVE|syscall.IFA_F_DADFAILED) != 0 || a.IPNet == nil {
			continue
		}
		ip := ipAddr(a.IP)
		if !ip.IsValid() {
			continue
		}
		if a.Scope == syscall.RT_SCOPE_UNIVERSE {
			return ip
		}
		if !fallback.IsValid() {
			fallback = ip
		}
	}
	return fallback
}

// link returns the cached interface, fetching it if a route names an
// interface whose creation event has not been seen yet. r.mu must be held.
func (r *Resolver) link(ifIndex int) (linkInfo, bool) {
	if l, ok := r.links[ifIndex]; ok {
		return l, true
	}
	link, err := r.h.LinkByIndex(ifIndex)
	if err != nil {
		return linkInfo{}, false
	}
	l := linkInfoOf(link)
	r.links[ifIndex] = l
	return l, true
}

// relistLinks replaces the interface cache with a fresh dump.
// r.mu must be held.
func (r *Resolver) relistLinks() error {
	links, err := dump(r.h.LinkList)
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	clear(r.links)
	for _, l := range links {
		r.links[l.Attrs().Index] = linkInfoOf(l)
	}
	return nil
}

// relistNeighs replaces the neighbour cache with a fresh dump.
// r.mu must be held.
func (r *Resolver) relistNeighs() error {
	neighs, err := dump(func() ([]netlink.Neigh, error) { return r.h.NeighList(0, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("list neighbours: %w", err)
	}
	clear(r.neighs)
	for i := range neighs {
		if k, n, ok := neighOf(&neighs[i]); ok {
			r.neighs[k] = n
		}
	}
	return nil
}

// dumpAttempts bounds the retries of a dump the kernel interrupted because
// the table changed under it.
const dumpAttempts = 5

// dump runs a netlink dump, retrying when it was interrupted; the last
// interrupted result is accepted, since events will correct it.
func dump[T any](list func() ([]T, error)) ([]T, error) {
	for i := 1; ; i++ {
		v, err := list()
		if err == nil || errors.Is(err, netlink.ErrDumpInterrupted) && i == dumpAttempts {
			return v, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, err
		}
	}
}

// pokeDue asks the kernel to resolve the neighbours of watched next hops
// that are unresolved (at most once per ResolveInterval each) or STALE (at
// most once per RefreshInterval each). r.mu must be held.
func (r *Resolver) pokeDue(now time.Time) {
	for _, e := range r.watched {
		if !e.found || !e.arp || !e.nh.Up {
			continue
		}
		every := r.opts.ResolveInterval
		if e.nh.Resolved {
			if r.opts.RefreshInterval == 0 || r.neighs[e.key].state != netlink.NUD_STALE {
				continue
			}
			every = r.opts.RefreshInterval
		}
		if last, ok := r.pokes[e.key]; ok && now.Sub(last) < every {
			continue
		}
		r.pokes[e.key] = now
		r.poke(e.key)
	}
}

// poke adds or updates the neighbour entry with NTF_USE: the kernel then
// resolves it (ARP or Neighbour Discovery) as if it had a packet to send,
// or confirms a STALE entry with a unicast probe. r.mu must be held.
func (r *Resolver) poke(k neighKey) {
	family := netlink.FAMILY_V6
	if k.addr.Is4() {
		family = netlink.FAMILY_V4
	}
	err := r.h.NeighSet(&netlink.Neigh{
		LinkIndex: k.ifIndex,
		Family:    family,
		IP:        k.addr.AsSlice(),
		State:     netlink.NUD_NONE,
		Flags:     netlink.NTF_USE,
	})
	if err != nil {
		r.log.Warn("trigger neighbour resolution", "addr", k.addr, "ifindex", k.ifIndex, "err", err)
	}
}

// forgetPokes drops pacing state of next hops no watched address uses.
// r.mu must be held.
func (r *Resolver) forgetPokes() {
	used := make(map[neighKey]struct{}, len(r.watched))
	for _, e := range r.watched {
		if e.found {
			used[e.key] = struct{}{}
		}
	}
	for k := range r.pokes {
		if _, ok := used[k]; !ok {
			delete(r.pokes, k)
		}
	}
}

func macString(mac [6]byte) string {
	return net.HardwareAddr(mac[:]).String()
}
