// Package netinfo implements the control plane's view of the kernel's
// routes, neighbours and links, read over rtnetlink.
//
// The dataplane forwards frames itself (AF_XDP), so for every real server it
// needs what the kernel would have used: the egress interface, its MAC and
// MTU, the MAC of the next hop (the route's gateway, or the address itself
// when it is on-link) and the preferred source address. A [Resolver] keeps
// that [NextHop] current for a watched set of addresses:
//
//   - routes are looked up with RTM_GETROUTE (netlink.RouteGet), so policy
//     routing, route metrics and source selection are the kernel's own;
//   - neighbours, links, routes and addresses are followed through netlink
//     subscriptions, never by polling; a subscription that fails (for
//     example a receive-buffer overflow, ENOBUFS) is reopened and the caches
//     it feeds are listed again;
//   - an unresolved next hop is resolved by the kernel, not by us: the
//     resolver adds or updates the neighbour entry with NTF_USE, which makes
//     the kernel run ARP or Neighbour Discovery exactly as if it had a packet
//     to send, and repeats that every [Options.ResolveInterval] while the
//     entry stays unresolved. STALE entries are confirmed the same way every
//     [Options.RefreshInterval], so a real server replaced without a
//     gratuitous ARP is noticed. The resolver never sends packets itself.
//
// A Resolver works in the network namespace of the calling thread at the
// time [NewResolver] is called (lock the goroutine's OS thread before
// switching namespaces); its sockets stay in that namespace for its
// lifetime, whatever thread later uses it.
//
// Concurrency: all methods of a Resolver are safe for concurrent use. State
// is guarded by one mutex; this is control-plane code, not the per-packet
// path. [Resolver.Changes] is a coalescing signal (capacity 1): after a
// receive, callers read the current state with [Resolver.Lookup].
package netinfo
