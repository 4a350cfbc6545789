package netinfo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestLinkDownUp takes the director's egress interface down and up: the
// next hops disappear with the routes and come back resolved.
func TestLinkDownUp(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	r := tp.newResolver(t, DefaultOptions())
	watched := []netip.Addr{peerV4, peerV6}
	r.Watch(watched)
	peerMAC := tp.peerMAC(t)
	for _, a := range watched {
		eventually(t, "initial resolution of "+a.String(), resolvedTo(r, a, peerMAC))
	}
	// A concurrent user of the resolver while events are being applied
	// (for the race detector).
	stop := make(chan struct{})
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		for {
			select {
			case <-stop:
				return
			default:
			}
			r.Watch(watched)
			for _, a := range watched {
				r.Lookup(a)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { close(stop); <-busy }()

	drain(r)
	mustDo(t, tp.dir.SetDown("eth0"))
	waitSignal(t, r, "setting the egress interface down")
	for _, a := range watched {
		eventually(t, "next hop of "+a.String()+" gone with the link", noRoute(r, a))
	}

	drain(r)
	mustDo(t, tp.dir.SetUp("eth0"))
	waitSignal(t, r, "setting the egress interface up")
	for _, a := range watched {
		eventually(t, "resolution of "+a.String()+" after link up", resolvedTo(r, a, peerMAC))
		if nh, _ := r.Lookup(a); !nh.Up {
			t.Errorf("Lookup(%s).Up = false after link up", a)
		}
	}
}

// TestCarrierLoss takes the peer's end down: the director keeps its routes
// but loses carrier, which the next hop must show as not Up.
func TestCarrierLoss(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	r := tp.newResolver(t, DefaultOptions())
	watched := []netip.Addr{peerV4, peerV6}
	r.Watch(watched)
	peerMAC := tp.peerMAC(t)
	for _, a := range watched {
		eventually(t, "initial resolution of "+a.String(), resolvedTo(r, a, peerMAC))
	}

	drain(r)
	mustDo(t, tp.peer.SetDown("eth0"))
	waitSignal(t, r, "carrier loss")
	for _, a := range watched {
		eventually(t, "next hop of "+a.String()+" not up", func() error {
			if nh, ok := r.Lookup(a); ok && nh.Up {
				return fmt.Errorf("Lookup(%s) = %+v, still up", a, nh)
			}
			return nil
		})
	}

	drain(r)
	mustDo(t, tp.peer.SetUp("eth0"))
	waitSignal(t, r, "carrier back")
	for _, a := range watched {
		eventually(t, "next hop of "+a.String()+" up and resolved", func() error {
			if err := resolvedTo(r, a, peerMAC)(); err != nil {
				return err
			}
			if nh, _ := r.Lookup(a); !nh.Up {
				return errors.New("not up")
			}
			return nil
		})
	}
}

// TestEgressMTUAndMAC changes the egress interface's MTU and MAC and adds
// a route with a lower MTU.
func TestEgressMTUAndMAC(t *testing.T) {
	t.Parallel()
	tp := newTopo(t)
	_, small, _ := net.ParseCIDR("198.18.101.0/24")
	mustDo(t, tp.dir.Netlink.RouteAdd(&netlink.Route{Dst: small, Gw: peerV4.AsSlice(), MTU: 1280}))
	r := tp.newResolver(t, DefaultOptions())
	behindSmall := netip.MustParseAddr("198.18.101.1")
	watched := []netip.Addr{peerV4, peerV6, behindSmall}
	r.Watch(watched)
	peerMAC := tp.peerMAC(t)
	for _, a := range watched {
		eventually(t, "initial resolution of "+a.String(), resolvedTo(r, a, peerMAC))
	}
	if nh, _ := r.Lookup(behindSmall); nh.MTU != 1280 {
		t.Errorf("Lookup(%s).MTU = %d, want the route's 1280", behindSmall, nh.MTU)
	}

	drain(r)
	mustDo(t, tp.dir.SetMTU("eth0", 1400))
	waitSignal(t, r, "changing the MTU")
	for _, tc := range []struct {
		a   netip.Addr
		mtu int
	}{{peerV4, 1400}, {peerV6, 1400}, {behindSmall, 1280}} {
		eventually(t, "MTU of "+tc.a.String(), func() error {
			if nh, _ := r.Lookup(tc.a); nh.MTU != tc.mtu {
				return fmt.Errorf("MTU %d, want %d", nh.MTU, tc.mtu)
			}
			return nil
		})
	}

	drain(r)
	mac := [6]byte{0x02, 0x00, 0x5e, 0x12, 0x34, 0x10}
	link, err := tp.dir.Link("eth0")
	mustDo(t, err)
	mustDo(t, tp.dir.Netlink.LinkSetHardwareAddr(link, mac[:]))
	waitSignal(t, r, "changing the egress MAC")
	for _, a := range watched {
		eventually(t, "source MAC of "+a.String(), func() error {
			if nh, _ := r.Lookup(a); nh.SrcMAC != mac {
				return fmt.Errorf("SrcMAC %s, want %s", macString(nh.SrcMAC), macString(mac))
			}
			return resolvedTo(r, a, peerMAC)()
		})
	}
}
