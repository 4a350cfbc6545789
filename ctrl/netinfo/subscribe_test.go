package netinfo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestOverflowRelists makes the neighbour subscription overflow (ENOBUFS)
// while the resolver is stalled, with the one change that matters hidden in
// the lost events: the resolver must reopen the subscription, list the
// neighbours again and report the change.
func TestOverflowRelists(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	opts := DefaultOptions()
	opts.ReceiveBufferSize = 4096 // the kernel's minimum; overflows quickly
	r := tp.newResolver(t, opts)
	r.Watch([]netip.Addr{peerV4})
	eventually(t, "initial resolution", resolvedTo(r, peerV4, tp.peerMAC(t)))
	before := r.resyncs.Load()

	r.mu.Lock() // stall the event loop: events pile up, then the socket overflows
	stalled := true
	defer func() {
		if stalled {
			r.mu.Unlock()
		}
	}()
	churn := &netlink.Neigh{LinkIndex: tp.dirIndex, Family: netlink.FAMILY_V4,
		State: netlink.NUD_PERMANENT, HardwareAddr: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x77}}
	for i := range 2000 {
		churn.IP = net.IPv4(198, 18, 1, byte(100+i%50))
		mustDo(t, tp.dir.Netlink.NeighSet(churn))
		mustDo(t, tp.dir.Netlink.NeighDel(churn))
	}
	mac := [6]byte{0x02, 0x00, 0x5e, 0x12, 0x34, 0x20}
	mustDo(t, tp.dir.Netlink.NeighSet(&netlink.Neigh{LinkIndex: tp.dirIndex, Family: netlink.FAMILY_V4,
		State: netlink.NUD_PERMANENT, IP: peerV4.AsSlice(), HardwareAddr: mac[:]}))
	stalled = false
	r.mu.Unlock()

	eventually(t, "subscription reopened", func() error {
		if r.resyncs.Load() == before {
			return errors.New("no subscription was reopened")
		}
		return nil
	})
	eventually(t, "change hidden in the overflow seen", resolvedTo(r, peerV4, mac))
}

// TestCloseIsIdempotentAndFinal checks Close's contract; the package's
// TestMain checks that no goroutine survives it.
func TestCloseIsIdempotentAndFinal(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	r := tp.newResolver(t, DefaultOptions())
	r.Watch([]netip.Addr{peerV4})
	eventually(t, "resolution", resolvedTo(r, peerV4, tp.peerMAC(t)))
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		mustDo(t, err)
	case <-time.After(settle):
		t.Fatal("Close did not return")
	}
	mustDo(t, r.Close())
	r.Watch([]netip.Addr{peerV6}) // must not touch the closed sockets
	if _, ok := r.Lookup(peerV6); ok {
		t.Error("Watch after Close took effect")
	}
	if _, ok := r.Lookup(peerV4); !ok {
		t.Error("Lookup after Close lost the last known state")
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"zero resolve interval", func(o *Options) { o.ResolveInterval = 0 }, "invalid resolve interval 0s: must be positive"},
		{"negative refresh", func(o *Options) { o.RefreshInterval = -time.Second }, "invalid refresh interval -1s: must be zero (disabled) or positive"},
		{"negative buffer", func(o *Options) { o.ReceiveBufferSize = -1 }, "invalid receive buffer size -1: must be zero (kernel default) or positive"},
	} {
		opts := DefaultOptions()
		tc.edit(&opts)
		r, err := NewResolverWithOptions(nil, opts)
		if err == nil {
			r.Close()
			t.Errorf("%s: NewResolverWithOptions succeeded", tc.name)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s: error %q, want %q", tc.name, err, tc.want)
		}
	}
}

func TestInterfaceByName(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	mustDo(t, tp.dir.SetMTU("eth0", 1450))
	err := tp.dir.Do(func() error {
		idx, mac, mtu, err := InterfaceByName("eth0")
		if err != nil {
			return err
		}
		if idx != tp.dirIndex || mac != tp.dirMAC || mtu != 1450 {
			return fmt.Errorf("InterfaceByName(eth0) = %d, %s, %d; want %d, %s, 1450",
				idx, macString(mac), mtu, tp.dirIndex, macString(tp.dirMAC))
		}
		if _, _, _, err := InterfaceByName("nosuch0"); !errors.Is(err, ErrInterfaceNotFound) {
			return fmt.Errorf("InterfaceByName(nosuch0) error %v, want ErrInterfaceNotFound", err)
		}
		if _, _, _, err := InterfaceByName("lo"); !errors.Is(err, ErrNotEthernet) || !strings.Contains(err.Error(), `"lo"`) {
			return fmt.Errorf("InterfaceByName(lo) error %v, want ErrNotEthernet naming lo", err)
		}
		return nil
	})
	mustDo(t, err)
}
