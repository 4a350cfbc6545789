package sched

import (
	"slices"
	"sync"
)

// Scheduler picks a destination for a new connection. It is not safe for
// concurrent use: each worker has its own instances.
type Scheduler interface {
	// Pick returns the index in dests of the chosen destination, or -1
	// when none is available. dests must be the slice (same length and
	// order, counts and flags kept current) the scheduler was built from
	// by its [Factory]; k must not be nil for the hashing schedulers (sh,
	// dh, mh, lblc, lblcr), the others ignore it. Pick allocates nothing.
	Pick(dests []Dest, k *Key) int
}

// Factory builds a scheduler for one service from its destinations and
// scheduler flags. The caller builds a new scheduler whenever the set of
// destinations, their weights or the flags change (state is rebuilt, as
// dpvs re-initialises schedulers). A Factory may allocate; it does not
// keep dests.
type Factory func(dests []Dest, flags Flags) Scheduler

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: make(map[string]Factory)}

// Register makes a scheduler available under name, as
// register_ip_vs_scheduler does. It panics if name is empty, f is nil, or
// name is already registered: registration happens at init and a clash is
// a programming error.
func Register(name string, f Factory) {
	if name == "" {
		panic("sched: Register with an empty name")
	}
	if f == nil {
		panic("sched: Register of a nil factory for " + name)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic("sched: Register called twice for " + name)
	}
	registry.m[name] = f
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[name]
	return f, ok
}

// Names returns the registered scheduler names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Default is the scheduler IPVS uses when none is given (ipvsadm's
// DEF_SCHED).
const Default = "wlc"
