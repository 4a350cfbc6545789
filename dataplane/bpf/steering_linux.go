package bpf

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"

	"github.com/xlvs/xlvs/internal/bpfcounter"
)

// Steering is the loaded steering program and its maps, and the interfaces
// it is attached to. Create it with [Load]; release it with
// [Steering.Close]. Safe for concurrent use.
type Steering struct {
	mu     sync.Mutex
	closed bool
	objs   steerObjects
	links  map[int]attachment // ifindex → XDP link
	slots  map[int]uint32     // ifindex → slot in the XSKMAP
}

// attachment is one attached interface.
type attachment struct {
	link link.Link
	mode AttachMode
}

// AttachMode says how the program is attached to an interface.
type AttachMode uint8

// Attach modes.
const (
	// ModeNative runs the program in the driver (XDP_FLAGS_DRV_MODE).
	ModeNative AttachMode = iota + 1
	// ModeGeneric runs the program after the skb is built
	// (XDP_FLAGS_SKB_MODE), for drivers without native XDP.
	ModeGeneric
)

// String returns "native" or "generic".
func (m AttachMode) String() string {
	switch m {
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	default:
		return fmt.Sprintf("AttachMode(%d)", uint8(m))
	}
}

// reasonNames are the counter names, indexed by steerReason: the enum
// identifier without REASON_, lowercase, '_' → '-'.
var reasonNames = bpfcounter.Names(steerReasonREASON_MAX)

// Load removes the memlock rlimit where the kernel still charges BPF memory
// to it, then loads the steering program and its maps into the kernel.
// Nothing is attached yet.
func Load() (*Steering, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("remove memlock rlimit: %w", err)
	}
	s := &Steering{
		links: make(map[int]attachment),
		slots: make(map[int]uint32),
	}
	if err := loadSteerObjects(&s.objs, nil); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("load steering program: %+v", verr)
		}
		return nil, fmt.Errorf("load steering program: %w", err)
	}
	return s, nil
}

// Close detaches the program from every interface and releases the program
// and its maps. Calling it again returns nil.
func (s *Steering) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for ifindex, a := range s.links {
		if err := a.link.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detach ifindex %d: %w", ifindex, err))
		}
	}
	s.links = nil
	s.slots = nil
	if err := s.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close steering objects: %w", err))
	}
	return errors.Join(errs...)
}

// Mode reports how the program is attached to ifindex.
func (s *Steering) Mode(ifindex int) (AttachMode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	a, ok := s.links[ifindex]
	if !ok {
		return 0, fmt.Errorf("mode of ifindex %d: %w", ifindex, ErrNotAttached)
	}
	return a.mode, nil
}

// Counters returns the frames seen per reason, summed over CPUs, keyed by
// stable lowercase-hyphenated names: "pass-not-ip", "pass-vlan-depth",
// "pass-malformed", "pass-not-vip", "pass-no-service", "pass-icmp",
// "pass-other-proto", "pass-no-xsk", "steer-service-ipv4",
// "steer-service-ipv6", "steer-irregular", "steer-nat-reply",
// "steer-icmp-error", "steer-fullnat-reply", "steer-mark". Every name is
// present, zero or not.
func (s *Steering) Counters() (map[string]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return bpfcounter.Read(s.objs.Counters, reasonNames)
}
