package decap

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
)

// The filter [Decap.Attach] adds: on the clsact ingress hook, protocol
// ETH_P_ALL, this priority and handle, direct action, and this name.
const (
	// FilterPriority is the tc priority of the decapsulator's filter.
	FilterPriority = 0xc0de
	// FilterHandle is the tc handle of the decapsulator's filter.
	FilterHandle = 1
	// FilterName is the name the filter carries (`tc filter show` prints it).
	FilterName = "xlvs-decap"

	ethPAll = 0x0003 // ETH_P_ALL
)

// Attachment says what [Decap.Attach] changed on an interface, so that
// [Detach] undoes exactly that. It is plain data (a caller may save it as
// JSON and detach from another process).
type Attachment struct {
	// Ifindex is the interface.
	Ifindex int `json:"ifindex"`
	// Priority and Handle identify the tc filter on the ingress hook.
	Priority uint16 `json:"priority"`
	Handle   uint32 `json:"handle"`
	// CreatedQdisc says that Attach created the clsact qdisc; Detach then
	// removes it if no other filter remains on it.
	CreatedQdisc bool `json:"createdQdisc"`
}

// Attach adds the program as a direct-action BPF filter on the clsact
// ingress hook of the Ethernet interface ifindex (in the calling thread's
// network namespace), creating the clsact qdisc when the interface has
// none. An interface that already has a decapsulator filter is refused
// with [ErrAttached] (use [Find] to reconfigure it).
func (d *Decap) Attach(ifindex int) (Attachment, error) {
	a := Attachment{Ifindex: ifindex, Priority: FilterPriority, Handle: FilterHandle}
	link, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return a, fmt.Errorf("attach to ifindex %d: %w", ifindex, err)
	}
	name := link.Attrs().Name
	if link.Attrs().EncapType != "ether" {
		return a, fmt.Errorf("attach to %s (link type %s): %w", name, link.Attrs().EncapType, ErrNotEthernet)
	}
	if _, err := findFilter(link); err == nil {
		return a, fmt.Errorf("attach to %s: %w", name, ErrAttached)
	} else if !errors.Is(err, ErrNotAttached) {
		return a, fmt.Errorf("attach to %s: %w", name, err)
	}
	a.CreatedQdisc, err = ensureClsact(link)
	if err != nil {
		return a, fmt.Errorf("attach to %s: %w", name, err)
	}
	f := &netlink.BpfFilter{
		FilterAttrs: netlink.FilterAttrs{
			LinkIndex: ifindex,
			Parent:    netlink.HANDLE_MIN_INGRESS,
			Handle:    FilterHandle,
			Protocol:  ethPAll,
			Priority:  FilterPriority,
		},
		Fd:           d.objs.XlvsDecap.FD(),
		Name:         FilterName,
		DirectAction: true,
	}
	if err := netlink.FilterAdd(f); err != nil {
		err = fmt.Errorf("attach to %s: add tc filter: %w", name, err)
		if a.CreatedQdisc {
			if derr := netlink.QdiscDel(clsact(ifindex)); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove the clsact qdisc again: %w", derr))
			}
		}
		return a, err
	}
	return a, nil
}

// Detach removes the filter a describes, if it is still the decapsulator,
// and the clsact qdisc if Attach created it and no other filter (ingress
// or egress) is left on it. A filter that is gone already gives
// [ErrNotAttached] (after the qdisc was dealt with).
func Detach(a Attachment) error {
	link, err := netlink.LinkByIndex(a.Ifindex)
	if err != nil {
		return fmt.Errorf("detach from ifindex %d: %w", a.Ifindex, err)
	}
	name := link.Attrs().Name
	filters, err := netlink.FilterList(link, netlink.HANDLE_MIN_INGRESS)
	if err != nil && !isNoQdisc(err) {
		return fmt.Errorf("detach from %s: list filters: %w", name, err)
	}
	var errs []error
	found := false
	for _, f := range filters {
		bf, ok := f.(*netlink.BpfFilter)
		if !ok || bf.Priority != a.Priority || bf.Handle != a.Handle || bf.Name != FilterName {
			continue
		}
		found = true
		if err := netlink.FilterDel(bf); err != nil {
			return fmt.Errorf("detach from %s: delete tc filter: %w", name, err)
		}
	}
	if a.CreatedQdisc {
		if err := removeClsactIfEmpty(link); err != nil {
			errs = append(errs, fmt.Errorf("detach from %s: %w", name, err))
		}
	}
	if !found {
		errs = append(errs, fmt.Errorf("detach from %s: %w", name, ErrNotAttached))
	}
	return errors.Join(errs...)
}

// Find returns the decapsulator attached to ifindex — by this process or
// another — with its maps, and the filter's place (CreatedQdisc is
// unknown and false). [ErrNotAttached] means there is none.
func Find(ifindex int) (*Decap, Attachment, error) {
	a := Attachment{Ifindex: ifindex}
	link, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return nil, a, fmt.Errorf("find decapsulator on ifindex %d: %w", ifindex, err)
	}
	name := link.Attrs().Name
	bf, err := findFilter(link)
	if err != nil {
		return nil, a, fmt.Errorf("find decapsulator on %s: %w", name, err)
	}
	a.Priority, a.Handle = bf.Priority, bf.Handle
	d, err := open(ebpf.ProgramID(bf.Id))
	if err != nil {
		return nil, a, fmt.Errorf("find decapsulator on %s: %w", name, err)
	}
	return d, a, nil
}

// findFilter returns the decapsulator's filter on link's ingress hook.
func findFilter(link netlink.Link) (*netlink.BpfFilter, error) {
	filters, err := netlink.FilterList(link, netlink.HANDLE_MIN_INGRESS)
	if err != nil {
		if isNoQdisc(err) {
			return nil, ErrNotAttached
		}
		return nil, fmt.Errorf("list filters: %w", err)
	}
	for _, f := range filters {
		if bf, ok := f.(*netlink.BpfFilter); ok && bf.Name == FilterName {
			return bf, nil
		}
	}
	return nil, ErrNotAttached
}

// open takes hold of the program id and of its maps by name.
func open(id ebpf.ProgramID) (*Decap, error) {
	prog, err := ebpf.NewProgramFromID(id)
	if err != nil {
		return nil, fmt.Errorf("open program %d: %w", id, err)
	}
	d := &Decap{}
	d.objs.XlvsDecap = prog
	info, err := prog.Info()
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("program %d info: %w", id, err)
	}
	ids, _ := info.MapIDs()
	for _, mid := range ids {
		m, err := ebpf.NewMapFromID(mid)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("open map %d of program %d: %w", mid, id, err)
		}
		minfo, err := m.Info()
		if err != nil {
			m.Close()
			d.Close()
			return nil, fmt.Errorf("map %d info: %w", mid, err)
		}
		switch minfo.Name {
		case decapMapVips:
			d.objs.Vips = m
		case decapMapSettings:
			d.objs.Settings = m
		case decapMapCounters:
			d.objs.Counters = m
		default:
			m.Close()
		}
	}
	if d.objs.Vips == nil || d.objs.Settings == nil || d.objs.Counters == nil {
		d.Close()
		return nil, fmt.Errorf("program %d: %w", id, ErrForeignProgram)
	}
	return d, nil
}

// clsact is the clsact qdisc of ifindex.
func clsact(ifindex int) *netlink.GenericQdisc {
	return &netlink.GenericQdisc{
		QdiscAttrs: netlink.QdiscAttrs{
			LinkIndex: ifindex,
			Handle:    netlink.MakeHandle(0xffff, 0),
			Parent:    netlink.HANDLE_CLSACT,
		},
		QdiscType: "clsact",
	}
}

// ensureClsact adds a clsact qdisc to link unless it has one, and reports
// whether it added it.
func ensureClsact(link netlink.Link) (bool, error) {
	qdiscs, err := netlink.QdiscList(link)
	if err != nil {
		return false, fmt.Errorf("list qdiscs: %w", err)
	}
	for _, q := range qdiscs {
		if q.Type() == "clsact" {
			return false, nil
		}
	}
	if err := netlink.QdiscAdd(clsact(link.Attrs().Index)); err != nil {
		if errors.Is(err, syscall.EEXIST) {
			return false, nil // added by someone else meanwhile
		}
		return false, fmt.Errorf("add clsact qdisc: %w", err)
	}
	return true, nil
}

// removeClsactIfEmpty deletes link's clsact qdisc when no filter is left
// on its ingress and egress hooks.
func removeClsactIfEmpty(link netlink.Link) error {
	for _, parent := range []uint32{netlink.HANDLE_MIN_INGRESS, netlink.HANDLE_MIN_EGRESS} {
		filters, err := netlink.FilterList(link, parent)
		if isNoQdisc(err) {
			return nil // gone already
		}
		if err != nil {
			return fmt.Errorf("list filters: %w", err)
		}
		if len(filters) > 0 {
			return nil // someone else's filters: keep the qdisc
		}
	}
	if err := netlink.QdiscDel(clsact(link.Attrs().Index)); err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("delete clsact qdisc: %w", err)
	}
	return nil
}

// isNoQdisc reports whether a filter listing failed because the link has
// no clsact qdisc (the kernel says EINVAL or ENOENT).
func isNoQdisc(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT)
}
