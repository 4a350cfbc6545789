package netinfo

import (
	"net/netip"
	"syscall"
)

// IsLocal reports whether addr is one of the director's own addresses in
// the resolver's namespace, as the kernel's inet_addr_type(addr) ==
// RTN_LOCAL (IPv6: a route of type local): the route the kernel would
// take to it is a local one — an address on any interface, or inside a
// local route such as 127.0.0.0/8. A lookup that fails reports false.
func (r *Resolver) IsLocal(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return false
	}
	routes, err := r.h.RouteGet(addr.AsSlice())
	if err != nil || len(routes) == 0 {
		return false
	}
	return routes[0].Type == syscall.RTN_LOCAL
}
