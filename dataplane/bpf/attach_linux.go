package bpf

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

// Attach attaches the program to the interface ifindex of the calling
// thread's network namespace, through a bpf_link: in native (driver) mode,
// or in generic mode where native mode fails (driver without XDP, veth
// peer MTU too large, ...). [Steering.Mode] tells which.
//
// A program attached the legacy way (netlink) — left by a crashed older
// run or by `ip link set dev X xdp` — is detached and the attach retried.
// A link held by another live process is left alone: Attach then returns
// [ErrBusy].
//
// Attach registers the interface in the program's slot table; sockets are
// registered with [Steering.SetXSK], before or after Attach.
func (s *Steering) Attach(ifindex int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.links[ifindex]; ok {
		return fmt.Errorf("attach ifindex %d: %w", ifindex, ErrAttached)
	}
	_, hadSlot := s.slots[ifindex]
	if _, err := s.slotLocked(ifindex); err != nil {
		return fmt.Errorf("attach ifindex %d: %w", ifindex, err)
	}
	a, err := attachXDP(s.objs.XlvsSteer, ifindex)
	if err != nil {
		if !hadSlot {
			// Best effort: the slot is unused, and Load's maps are private.
			_ = s.releaseSlotLocked(ifindex)
		}
		return fmt.Errorf("attach ifindex %d: %w", ifindex, err)
	}
	s.links[ifindex] = a
	return nil
}

// Detach detaches the program from ifindex and forgets the interface: its
// slot and the socket entries of its queues are removed, so sockets must be
// registered again after a new Attach.
func (s *Steering) Detach(ifindex int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	a, attached := s.links[ifindex]
	_, known := s.slots[ifindex]
	if !attached && !known {
		return fmt.Errorf("detach ifindex %d: %w", ifindex, ErrNotAttached)
	}
	var errs []error
	if attached {
		delete(s.links, ifindex)
		if err := a.link.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detach ifindex %d: %w", ifindex, err))
		}
	}
	if known {
		if err := s.releaseSlotLocked(ifindex); err != nil {
			errs = append(errs, fmt.Errorf("detach ifindex %d: %w", ifindex, err))
		}
	}
	return errors.Join(errs...)
}

// attachXDP attaches prog to ifindex, native mode first. When a program is
// already attached (EBUSY: same mode; EEXIST: the other mode), it detaches
// legacy programs and tries once more.
func attachXDP(prog *ebpf.Program, ifindex int) (attachment, error) {
	a, err := attachEitherMode(prog, ifindex)
	if err == nil || !isOccupied(err) {
		return a, err
	}
	if derr := detachLegacy(ifindex); derr != nil {
		return attachment{}, fmt.Errorf("%w (%w)", derr, err)
	}
	return attachEitherMode(prog, ifindex)
}

// attachEitherMode tries native mode, then generic mode unless native mode
// failed because a program is already attached.
func attachEitherMode(prog *ebpf.Program, ifindex int) (attachment, error) {
	l, nerr := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: link.XDPDriverMode})
	if nerr == nil {
		return attachment{link: l, mode: ModeNative}, nil
	}
	if isOccupied(nerr) {
		return attachment{}, fmt.Errorf("native mode: %w", nerr)
	}
	l, gerr := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: link.XDPGenericMode})
	if gerr != nil {
		return attachment{}, fmt.Errorf("native mode: %w; generic mode: %w", nerr, gerr)
	}
	return attachment{link: l, mode: ModeGeneric}, nil
}

// isOccupied reports whether an attach failed because a program is
// attached already.
func isOccupied(err error) bool {
	return errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EEXIST)
}

// detachLegacy removes netlink-attached XDP programs from ifindex in both
// driver and generic mode. The kernel refuses (EBUSY) to remove a program
// attached through a bpf_link, which belongs to a live process: that is
// reported as ErrBusy.
func detachLegacy(ifindex int) error {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return fmt.Errorf("look up link: %w", err)
	}
	for _, mode := range []int{nl.XDP_FLAGS_DRV_MODE, nl.XDP_FLAGS_SKB_MODE} {
		err := netlink.LinkSetXdpFdWithFlags(l, -1, mode)
		switch {
		case errors.Is(err, syscall.EBUSY):
			return ErrBusy
		case errors.Is(err, syscall.EOPNOTSUPP) && mode == nl.XDP_FLAGS_DRV_MODE:
			// No native XDP in this driver: nothing attached in that mode.
		case err != nil:
			return fmt.Errorf("detach stale XDP program: %w", err)
		}
	}
	return nil
}
