//go:build linux

package decap

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/internal/netlab"
)

// rsNS makes a namespace "rs" with eth0, one end of a veth pair.
func rsNS(t *testing.T) (*netlab.NS, int) {
	t.Helper()
	lab := netlab.NewT(t, "decap")
	peer, err := lab.AddNS("peer")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := lab.AddNS("rs")
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(peer, "eth0", rs, "eth0", netlab.LinkOptions{}); err != nil {
		t.Fatal(err)
	}
	ifindex, err := rs.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	return rs, ifindex
}

// hasClsact reports whether ifindex has a clsact qdisc, and how many
// filters sit on its ingress hook. Run inside the namespace.
func hasClsact(ifindex int) (bool, int, error) {
	link, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return false, 0, err
	}
	qs, err := netlink.QdiscList(link)
	if err != nil {
		return false, 0, err
	}
	for _, q := range qs {
		if q.Type() == "clsact" {
			fs, err := netlink.FilterList(link, netlink.HANDLE_MIN_INGRESS)
			return true, len(fs), err
		}
	}
	return false, 0, nil
}

func TestAttachFindDetach(t *testing.T) {
	netlab.RequireRoot(t)
	rs, ifindex := rsNS(t)
	err := rs.Do(func() error {
		if _, _, err := Find(ifindex); !errors.Is(err, ErrNotAttached) {
			t.Errorf("Find before Attach: %v, want ErrNotAttached", err)
		}
		d, err := Load(Options{VIPs: []netip.Addr{vip4}, GUEPort: 6080})
		if err != nil {
			return err
		}
		defer d.Close()
		a, err := d.Attach(ifindex)
		if err != nil {
			return err
		}
		want := Attachment{Ifindex: ifindex, Priority: FilterPriority, Handle: FilterHandle, CreatedQdisc: true}
		if a != want {
			t.Errorf("Attach = %+v, want %+v", a, want)
		}
		if q, n, err := hasClsact(ifindex); err != nil || !q || n != 1 {
			t.Errorf("after Attach: clsact %v, %d ingress filters, %v; want a clsact with 1 filter", q, n, err)
		}
		if _, err := d.Attach(ifindex); !errors.Is(err, ErrAttached) {
			t.Errorf("second Attach: %v, want ErrAttached", err)
		}

		// Another process would do this: find it, reconfigure it.
		found, fa, err := Find(ifindex)
		if err != nil {
			return err
		}
		defer found.Close()
		if fa.Priority != FilterPriority || fa.Handle != FilterHandle {
			t.Errorf("Find attachment %+v", fa)
		}
		if err := found.SetVIPs([]netip.Addr{vip4, vip6}); err != nil {
			return err
		}
		if got, err := d.VIPs(); err != nil || len(got) != 2 {
			t.Errorf("VIPs set through Find, seen by the loader: %v, %v", got, err)
		}
		if port, err := found.GUEPort(); err != nil || port != 6080 {
			t.Errorf("GUE port through Find: %d, %v", port, err)
		}
		id1, _ := d.ProgramID()
		id2, _ := found.ProgramID()
		if id1 != id2 || id1 == 0 {
			t.Errorf("program IDs %d (loaded) and %d (found)", id1, id2)
		}

		if err := Detach(a); err != nil {
			return err
		}
		if q, _, err := hasClsact(ifindex); err != nil || q {
			t.Errorf("after Detach: clsact %v, %v; want none (Attach created it)", q, err)
		}
		if err := Detach(a); !errors.Is(err, ErrNotAttached) {
			t.Errorf("second Detach: %v, want ErrNotAttached", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDetachKeepsAQdiscItDidNotCreate(t *testing.T) {
	netlab.RequireRoot(t)
	rs, ifindex := rsNS(t)
	err := rs.Do(func() error {
		if err := netlink.QdiscAdd(clsact(ifindex)); err != nil {
			return err
		}
		d, err := Load(Options{VIPs: []netip.Addr{vip4}})
		if err != nil {
			return err
		}
		defer d.Close()
		a, err := d.Attach(ifindex)
		if err != nil {
			return err
		}
		if a.CreatedQdisc {
			t.Error("Attach claims to have created the existing clsact qdisc")
		}
		if err := Detach(a); err != nil {
			return err
		}
		if q, n, err := hasClsact(ifindex); err != nil || !q || n != 0 {
			t.Errorf("after Detach: clsact %v, %d filters, %v; want the clsact kept, empty", q, n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDetachKeepsACreatedQdiscWithOtherFilters(t *testing.T) {
	netlab.RequireRoot(t)
	rs, ifindex := rsNS(t)
	err := rs.Do(func() error {
		d, err := Load(Options{VIPs: []netip.Addr{vip4}})
		if err != nil {
			return err
		}
		defer d.Close()
		a, err := d.Attach(ifindex)
		if err != nil {
			return err
		}
		// Someone else's filter on the same hook, another priority.
		other := &netlink.BpfFilter{
			FilterAttrs: netlink.FilterAttrs{LinkIndex: ifindex, Parent: netlink.HANDLE_MIN_INGRESS,
				Handle: 1, Protocol: ethPAll, Priority: 1},
			Fd: d.objs.XlvsDecap.FD(), Name: "someone-else", DirectAction: true,
		}
		if err := netlink.FilterAdd(other); err != nil {
			return err
		}
		if err := Detach(a); err != nil {
			return err
		}
		if q, n, err := hasClsact(ifindex); err != nil || !q || n != 1 {
			t.Errorf("after Detach: clsact %v, %d filters, %v; want the qdisc kept with the other filter", q, n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAttachRefusesNonEthernet(t *testing.T) {
	netlab.RequireRoot(t)
	rs, _ := rsNS(t)
	lo, err := rs.LinkIndex("lo")
	if err != nil {
		t.Fatal(err)
	}
	err = rs.Do(func() error {
		d, err := Load(Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		if _, err := d.Attach(lo); !errors.Is(err, ErrNotEthernet) {
			t.Errorf("Attach to lo: %v, want ErrNotEthernet", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
