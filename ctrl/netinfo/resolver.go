package netinfo

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Resolver keeps the next hops of a watched set of addresses current,
// following the kernel's routes, neighbours, links and addresses of one
// network namespace. Create it with [NewResolver]; all methods are safe for
// concurrent use.
type Resolver struct {
	log     *slog.Logger
	opts    Options
	ns      netns.NsHandle
	h       *netlink.Handle
	changes chan struct{}
	events  chan event
	stop    chan struct{}
	done    chan struct{} // closed when run has returned
	once    sync.Once

	// resyncs counts subscriptions reopened after a failure (overflow).
	resyncs atomic.Uint64

	mu      sync.Mutex
	closed  bool
	watched map[netip.Addr]*entry
	links   map[int]linkInfo
	neighs  map[neighKey]neighInfo
	pokes   map[neighKey]time.Time // last NTF_USE sent per next hop
}

// entry is the state of one watched address.
type entry struct {
	nh    NextHop
	found bool     // a usable route exists; nh is meaningful
	key   neighKey // the neighbour entry nh depends on; valid when found
	arp   bool     // the egress interface resolves neighbours (ARP/ND)
}

// NewResolver returns a Resolver with [DefaultOptions] working in the
// network namespace of the calling thread. log may be nil.
func NewResolver(log *slog.Logger) (*Resolver, error) {
	return NewResolverWithOptions(log, DefaultOptions())
}

// NewResolverWithOptions is [NewResolver] with explicit options.
func NewResolverWithOptions(log *slog.Logger, opts Options) (*Resolver, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("get current network namespace: %w", err)
	}
	h, err := netlink.NewHandleAt(ns, syscall.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("open rtnetlink socket: %w", err)
	}
	r := &Resolver{
		log:     log,
		opts:    opts,
		ns:      ns,
		h:       h,
		changes: make(chan struct{}, 1),
		events:  make(chan event, eventBuffer),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		watched: make(map[netip.Addr]*entry),
		links:   make(map[int]linkInfo),
		neighs:  make(map[neighKey]neighInfo),
		pokes:   make(map[neighKey]time.Time),
	}
	subs := r.newSubscriptions()
	if err := r.start(subs); err != nil {
		subs.shutdown(r.events)
		h.Close()
		ns.Close()
		return nil, err
	}
	go r.run(subs)
	return r, nil
}

// start opens the subscriptions, then lists links and neighbours, so that
// no change between the listing and the first event is missed.
func (r *Resolver) start(subs *subscriptions) error {
	for k := range subs.all {
		if err := subs.all[k].open(r.events, &subs.fwd); err != nil {
			return fmt.Errorf("subscribe to %s events: %w", subKind(k), err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.relistLinks(); err != nil {
		return err
	}
	return r.relistNeighs()
}

// Watch sets the addresses whose next hops the resolver keeps current,
// replacing the previous set. Next hops of newly watched addresses are
// computed before Watch returns, and the kernel is asked to resolve those
// whose neighbour is unknown; [Resolver.Changes] is signalled only for later
// changes. Invalid addresses are ignored; IPv4-mapped IPv6 addresses are
// treated as IPv4. Watch on a closed Resolver does nothing.
func (r *Resolver) Watch(addrs []netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	next := make(map[netip.Addr]*entry, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() {
			continue
		}
		if e, ok := r.watched[a]; ok {
			next[a] = e
			continue
		}
		if _, ok := next[a]; ok {
			continue
		}
		e := &entry{}
		r.resolve(a, e)
		next[a] = e
	}
	r.watched = next
	r.pokeDue(time.Now())
}

// Lookup returns the last known next hop of a watched address. It reports
// false when addr is not watched or the kernel has no usable route to it
// (no route, an unreachable/blackhole/prohibit route, or a local address).
func (r *Resolver) Lookup(addr netip.Addr) (NextHop, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.watched[addr.Unmap()]
	if !ok || !e.found {
		return NextHop{}, false
	}
	return e.nh, true
}

// Changes returns a channel signalled whenever the next hop of a watched
// address changes: its route, neighbour MAC or resolution state, or the
// egress interface's MAC, MTU or up/down state. Signals are coalesced
// (capacity 1); read the new state with [Resolver.Lookup]. The channel is
// never closed.
func (r *Resolver) Changes() <-chan struct{} {
	return r.changes
}

// Close stops the subscriptions and releases the resolver's sockets and
// namespace handle. It waits for the resolver's goroutines to exit. Close
// is idempotent; after Close, Lookup still answers with the last known
// state and Watch does nothing.
func (r *Resolver) Close() error {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.mu.Lock()
		r.closed = true
		r.h.Close()
		r.ns.Close()
		r.mu.Unlock()
	})
	return nil
}

// signal notifies Changes without blocking.
func (r *Resolver) signal() {
	select {
	case r.changes <- struct{}{}:
	default:
	}
}

// update recomputes the next hop of one watched address and reports
// whether it changed. r.mu must be held.
func (r *Resolver) update(addr netip.Addr, e *entry) bool {
	oldNH, oldFound := e.nh, e.found
	r.resolve(addr, e)
	if e.nh == oldNH && e.found == oldFound {
		return false
	}
	r.logChange(addr, e)
	return true
}

// updateNeighs refreshes the neighbour part of every watched next hop from
// the neighbour cache and reports whether any changed. r.mu must be held.
func (r *Resolver) updateNeighs() bool {
	changed := false
	for addr, e := range r.watched {
		if !e.found {
			continue
		}
		old := e.nh
		r.applyNeigh(e)
		if e.nh != old {
			r.logChange(addr, e)
			changed = true
		}
	}
	return changed
}

// updateAll recomputes every watched next hop and reports whether any
// changed. r.mu must be held.
func (r *Resolver) updateAll() bool {
	changed := false
	for addr, e := range r.watched {
		if r.update(addr, e) {
			changed = true
		}
	}
	return changed
}

func (r *Resolver) logChange(addr netip.Addr, e *entry) {
	if !r.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if !e.found {
		r.log.Debug("next hop lost", "addr", addr)
		return
	}
	r.log.Debug("next hop changed", "addr", addr, "ifindex", e.nh.IfIndex,
		"gateway", e.nh.Gateway, "dstmac", macString(e.nh.DstMAC),
		"resolved", e.nh.Resolved, "up", e.nh.Up, "mtu", e.nh.MTU, "src", e.nh.Src)
}
