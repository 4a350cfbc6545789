package netinfo

import (
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// Buffer sizes of the event channels. When the resolver falls behind, the
// kernel's socket buffer fills next, then the subscription fails with
// ENOBUFS and is reopened with fresh listings; nothing is lost for good.
const (
	eventBuffer = 256
	subBuffer   = 64
)

// subKind names one of the rtnetlink subscriptions.
type subKind uint8

const (
	kindNeigh subKind = iota
	kindRoute
	kindLink
	kindAddr
	numKinds
)

func (k subKind) String() string {
	switch k {
	case kindNeigh:
		return "neighbour"
	case kindRoute:
		return "route"
	case kindLink:
		return "link"
	case kindAddr:
		return "address"
	}
	return "unknown"
}

// event is one update from a subscription, or the notice that it ended.
type event struct {
	kind   subKind
	ended  bool
	neigh  netlink.NeighUpdate // kindNeigh
	link   netlink.LinkUpdate  // kindLink
	linkOK bool
}

// subscription is one rtnetlink subscription that can be reopened.
type subscription interface {
	open(events chan<- event, fwd *sync.WaitGroup) error
	close()
}

// sub is a subscription delivering updates of type T, which a forwarding
// goroutine turns into events on the resolver's single event channel.
type sub[T any] struct {
	kind  subKind
	start func(ch chan<- T, done <-chan struct{}) error
	wrap  func(T) event
	done  chan struct{} // closes the socket; nil when not open
}

func (s *sub[T]) open(events chan<- event, fwd *sync.WaitGroup) error {
	ch := make(chan T, subBuffer)
	done := make(chan struct{})
	if err := s.start(ch, done); err != nil {
		close(done)
		return err
	}
	s.done = done
	fwd.Add(1)
	go func() {
		defer fwd.Done()
		for u := range ch {
			events <- s.wrap(u)
		}
		events <- event{kind: s.kind, ended: true}
	}()
	return nil
}

func (s *sub[T]) close() {
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
}

// subscriptions are the resolver's four subscriptions and their forwarders.
type subscriptions struct {
	all [numKinds]subscription
	fwd sync.WaitGroup // running forwarders
}

// shutdown closes every subscription and drains events until all
// forwarders have exited, so no library goroutine stays blocked.
func (s *subscriptions) shutdown(events chan event) {
	for _, sub := range s.all {
		sub.close()
	}
	idle := make(chan struct{})
	go func() {
		s.fwd.Wait()
		close(idle)
	}()
	for {
		select {
		case <-events:
		case <-idle:
			return
		}
	}
}

func (r *Resolver) newSubscriptions() *subscriptions {
	ns := r.ns
	onErr := func(kind subKind) func(error) {
		return func(err error) {
			select {
			case <-r.stop:
			default:
				r.log.Warn("netlink subscription error", "kind", kind.String(), "err", err)
			}
		}
	}
	rcvbuf := r.opts.ReceiveBufferSize
	s := &subscriptions{}
	s.all[kindNeigh] = &sub[netlink.NeighUpdate]{
		kind: kindNeigh,
		start: func(ch chan<- netlink.NeighUpdate, done <-chan struct{}) error {
			return netlink.NeighSubscribeWithOptions(ch, done, netlink.NeighSubscribeOptions{
				Namespace: &ns, ErrorCallback: onErr(kindNeigh), ReceiveBufferSize: rcvbuf})
		},
		wrap: func(u netlink.NeighUpdate) event { return event{kind: kindNeigh, neigh: u} },
	}
	s.all[kindRoute] = &sub[netlink.RouteUpdate]{
		kind: kindRoute,
		start: func(ch chan<- netlink.RouteUpdate, done <-chan struct{}) error {
			return netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{
				Namespace: &ns, ErrorCallback: onErr(kindRoute), ReceiveBufferSize: rcvbuf})
		},
		wrap: func(netlink.RouteUpdate) event { return event{kind: kindRoute} },
	}
	s.all[kindLink] = &sub[netlink.LinkUpdate]{
		kind: kindLink,
		start: func(ch chan<- netlink.LinkUpdate, done <-chan struct{}) error {
			return netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{
				Namespace: &ns, ErrorCallback: onErr(kindLink), ReceiveBufferSize: rcvbuf})
		},
		wrap: func(u netlink.LinkUpdate) event { return event{kind: kindLink, link: u, linkOK: u.Link != nil} },
	}
	s.all[kindAddr] = &sub[netlink.AddrUpdate]{
		kind: kindAddr,
		start: func(ch chan<- netlink.AddrUpdate, done <-chan struct{}) error {
			return netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{
				Namespace: &ns, ErrorCallback: onErr(kindAddr), ReceiveBufferSize: rcvbuf})
		},
		wrap: func(netlink.AddrUpdate) event { return event{kind: kindAddr} },
	}
	return s
}

// run is the resolver's event loop: it applies batches of events, reopens
// failed subscriptions and paces neighbour resolution.
func (r *Resolver) run(subs *subscriptions) {
	defer close(r.done)
	tick := time.NewTicker(r.opts.ResolveInterval)
	defer tick.Stop()
	var failed [numKinds]bool
	for {
		select {
		case <-r.stop:
			subs.shutdown(r.events)
			return
		case ev := <-r.events:
			r.batch(ev, subs, &failed)
		case now := <-tick.C:
			r.mu.Lock()
			changed := r.reopen(subs, &failed)
			r.pokeDue(now)
			r.forgetPokes()
			r.mu.Unlock()
			if changed {
				r.signal()
			}
		}
	}
}

// batch applies first and every event already queued behind it, then
// recomputes once: a burst of updates costs one recomputation.
func (r *Resolver) batch(first event, subs *subscriptions, failed *[numKinds]bool) {
	r.mu.Lock()
	var routes, neighs bool
	apply := func(ev event) {
		if ev.ended {
			subs.all[ev.kind].close()
			failed[ev.kind] = true
			r.log.Warn("netlink subscription ended; reopening and listing again", "kind", ev.kind.String())
			return
		}
		switch ev.kind {
		case kindNeigh:
			r.applyNeighUpdate(&ev.neigh)
			neighs = true
		case kindLink:
			if ev.linkOK {
				r.applyLinkUpdate(&ev.link)
			}
			routes = true
		default:
			routes = true
		}
	}
	apply(first)
	for n := len(r.events); n > 0; n-- { // only run receives, so this never blocks
		apply(<-r.events)
	}
	changed := r.reopen(subs, failed)
	switch {
	case routes:
		changed = r.updateAll() || changed
	case neighs:
		changed = r.updateNeighs() || changed
	}
	r.pokeDue(time.Now())
	r.mu.Unlock()
	if changed {
		r.signal()
	}
}

// reopen reopens failed subscriptions, lists what they feed again and
// recomputes every next hop; subscriptions that cannot be reopened stay
// failed and are retried on the next tick. It reports whether a next hop
// changed. r.mu must be held.
func (r *Resolver) reopen(subs *subscriptions, failed *[numKinds]bool) bool {
	reopened := false
	for k := range subs.all {
		if !failed[k] {
			continue
		}
		if err := subs.all[k].open(r.events, &subs.fwd); err != nil {
			r.log.Warn("reopen netlink subscription", "kind", subKind(k).String(), "err", err)
			continue
		}
		var err error
		switch subKind(k) {
		case kindNeigh:
			err = r.relistNeighs()
		case kindLink:
			err = r.relistLinks()
		}
		if err != nil {
			r.log.Warn("list after reopening netlink subscription", "kind", subKind(k).String(), "err", err)
		}
		failed[k] = false
		r.resyncs.Add(1)
		reopened = true
	}
	return reopened && r.updateAll()
}

// applyNeighUpdate applies one neighbour event to the cache. r.mu must be
// held.
func (r *Resolver) applyNeighUpdate(u *netlink.NeighUpdate) {
	k, n, ok := neighOf(&u.Neigh)
	if !ok {
		return
	}
	switch u.Type {
	case syscall.RTM_NEWNEIGH:
		r.neighs[k] = n
	case syscall.RTM_DELNEIGH:
		delete(r.neighs, k)
	}
}

// applyLinkUpdate applies one link event to the cache. r.mu must be held.
func (r *Resolver) applyLinkUpdate(u *netlink.LinkUpdate) {
	idx := int(u.Index)
	switch u.Header.Type {
	case syscall.RTM_NEWLINK:
		r.links[idx] = linkInfoOf(u.Link)
	case syscall.RTM_DELLINK:
		delete(r.links, idx)
	}
}
