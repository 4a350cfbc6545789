package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// SetXSK registers the AF_XDP socket fd for rx queue queue of ifindex:
// steered frames received there go to it. The interface gets a slot if it
// has none (SetXSK may come before [Steering.Attach]). The map holds its
// own reference to the socket; closing fd does not remove the entry, so
// call [Steering.DeleteXSK] first.
func (s *Steering) SetXSK(ifindex, queue, fd int) error {
	if queue < 0 || queue >= MaxQueues {
		return fmt.Errorf("set socket of ifindex %d queue %d: %w", ifindex, queue, ErrQueue)
	}
	if fd < 0 {
		return fmt.Errorf("set socket of ifindex %d queue %d: invalid fd %d", ifindex, queue, fd)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	slot, err := s.slotLocked(ifindex)
	if err != nil {
		return fmt.Errorf("set socket of ifindex %d queue %d: %w", ifindex, queue, err)
	}
	if err := s.objs.Xsks.Update(xskIndex(slot, queue), uint32(fd), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("set socket of ifindex %d queue %d: %w", ifindex, queue, err)
	}
	return nil
}

// DeleteXSK unregisters the socket of rx queue queue of ifindex; steered
// frames received there fall back to the kernel ("pass-no-xsk"). Deleting
// an empty entry is not an error.
func (s *Steering) DeleteXSK(ifindex, queue int) error {
	if queue < 0 || queue >= MaxQueues {
		return fmt.Errorf("delete socket of ifindex %d queue %d: %w", ifindex, queue, ErrQueue)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	slot, ok := s.slots[ifindex]
	if !ok {
		return fmt.Errorf("delete socket of ifindex %d queue %d: %w", ifindex, queue, ErrNotAttached)
	}
	err := s.objs.Xsks.Delete(xskIndex(slot, queue))
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete socket of ifindex %d queue %d: %w", ifindex, queue, err)
	}
	return nil
}

// xskIndex is the XSKMAP index of (slot, queue), as steer.c computes it.
func xskIndex(slot uint32, queue int) uint32 {
	return slot*MaxQueues + uint32(queue)
}

// slotLocked returns the slot of ifindex, allocating the lowest free one
// and registering it in the program's ifslots map if needed. s.mu held.
func (s *Steering) slotLocked(ifindex int) (uint32, error) {
	if slot, ok := s.slots[ifindex]; ok {
		return slot, nil
	}
	if ifindex <= 0 {
		return 0, fmt.Errorf("invalid ifindex %d", ifindex)
	}
	used := make(map[uint32]bool, len(s.slots))
	for _, slot := range s.slots {
		used[slot] = true
	}
	for slot := uint32(0); slot < MaxInterfaces; slot++ {
		if used[slot] {
			continue
		}
		if err := s.objs.Ifslots.Update(uint32(ifindex), slot, ebpf.UpdateAny); err != nil {
			return 0, fmt.Errorf("register interface: %w", err)
		}
		s.slots[ifindex] = slot
		return slot, nil
	}
	return 0, ErrTooManyInterfaces
}

// releaseSlotLocked removes ifindex from ifslots and clears the socket
// entries of its slot. s.mu held.
func (s *Steering) releaseSlotLocked(ifindex int) error {
	slot := s.slots[ifindex]
	delete(s.slots, ifindex)
	var errs []error
	if err := s.objs.Ifslots.Delete(uint32(ifindex)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		errs = append(errs, fmt.Errorf("unregister interface: %w", err))
	}
	for q := range MaxQueues {
		err := s.objs.Xsks.Delete(xskIndex(slot, q))
		if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, fmt.Errorf("delete socket of queue %d: %w", q, err))
		}
	}
	return errors.Join(errs...)
}
