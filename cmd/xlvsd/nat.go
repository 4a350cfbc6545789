package main

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/dataplane/bpf"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// natSources returns the (protocol, address, port) of every available NAT
// real server of s: the sources whose replies the XDP program must steer
// to the workers. A real server with port 0 (of a port-0 service) answers
// from any port.
func natSources(s *snapshot.Snapshot) []bpf.ServiceKey {
	var keys []bpf.ServiceKey
	for i := range s.Dests {
		d := &s.Dests[i]
		if d.Method != snapshot.MethodMasq || !d.Available || int(d.Service) >= len(s.Services) {
			continue
		}
		svc := &s.Services[d.Service]
		if svc.Family == 0 {
			continue
		}
		keys = append(keys, bpf.ServiceKey{Proto: svc.Proto, Addr: netip.AddrFrom16(d.Addr).Unmap(), Port: d.Port})
	}
	return keys
}

// publishNAT programs the XDP program's NAT sources from s.
func (d *daemon) publishNAT(s *snapshot.Snapshot) {
	if err := d.steer.SetNATSources(natSources(s)); err != nil {
		d.log.Error("update XDP NAT source map", "err", err)
	}
}

// watchOwnAddrs keeps the XDP program's set of the director's own
// addresses equal to the addresses of xlvsd's network namespace, from
// netlink address events: replies from NAT real servers to them answer
// the director's own health checks and must reach the kernel, not the
// workers. It returns once the set is first programmed; the watch ends
// with the daemon.
func (d *daemon) watchOwnAddrs() error {
	updates := make(chan netlink.AddrUpdate, 64)
	stop := make(chan struct{})
	err := netlink.AddrSubscribeWithOptions(updates, stop, netlink.AddrSubscribeOptions{
		ErrorCallback: func(err error) {
			select {
			case <-d.done: // the socket closes with the daemon
			default:
				d.log.Error("address events", "err", err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("subscribe to address events: %w", err)
	}
	if err := d.syncOwnAddrs(); err != nil {
		close(stop)
		return err
	}
	go func() {
		defer close(stop)
		for {
			select {
			case <-d.done:
				return
			case _, ok := <-updates:
				if !ok {
					d.log.Error("address events ended: the director's own addresses are no longer followed")
					return
				}
				// One resync covers a burst of events.
				for len(updates) > 0 {
					<-updates
				}
				if err := d.syncOwnAddrs(); err != nil {
					d.log.Error("update XDP own-address map", "err", err)
				}
			}
		}
	}()
	return nil
}

// syncOwnAddrs programs the namespace's current addresses. FULLNAT local
// addresses, once they exist, must be left out (their replies are the
// workers').
func (d *daemon) syncOwnAddrs() error {
	list, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	addrs := make([]netip.Addr, 0, len(list))
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			addrs = append(addrs, ip.Unmap())
		}
	}
	if err := d.steer.SetOwnAddrs(addrs); err != nil {
		return err
	}
	d.log.Debug("director addresses passed to the kernel for replies from NAT real servers", "addresses", addrs)
	return nil
}
