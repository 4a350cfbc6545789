package sched

import (
	"slices"
	"testing"
)

// allNames are the schedulers the kernel ships (ipvsadm's SCHEDULERS plus
// twos); each must be registered.
var allNames = []string{"dh", "fo", "lblc", "lblcr", "lc", "mh", "nq", "ovf", "rr", "sed", "sh", "twos", "wlc", "wrr"}

func TestNamesAreSortedAndComplete(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	for _, n := range allNames {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Lookup(%q) failed", n)
		}
		if !slices.Contains(names, n) {
			t.Errorf("Names() = %v, missing %q", names, n)
		}
	}
	if _, ok := Lookup(Default); !ok || Default != "wlc" {
		t.Errorf("Default = %q; IPVS's default is wlc", Default)
	}
	if _, ok := Lookup("none-such"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}

func TestRegisterRejectsMisuse(t *testing.T) {
	f := func(_ []Dest, _ Flags) Scheduler { return NewRR(nil, 0) }
	for _, tc := range []struct {
		name string
		reg  func()
	}{
		{"duplicate", func() { Register("rr", f) }},
		{"empty name", func() { Register("", f) }},
		{"nil factory", func() { Register("test-nil", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			tc.reg()
		})
	}
	if _, ok := Lookup("test-nil"); ok {
		t.Error("a nil factory was registered")
	}
}

func TestRegisterAddsScheduler(t *testing.T) {
	if _, done := Lookup("test-first"); !done { // -count=N runs this again
		Register("test-first", NewFO)
	}
	f, ok := Lookup("test-first")
	if !ok {
		t.Fatal("registered scheduler not found")
	}
	ds := mkDests(1, 3)
	if got := f(ds, 0).Pick(ds, nil); got != 1 {
		t.Errorf("Pick = %d, want 1", got)
	}
	if !slices.Contains(Names(), "test-first") {
		t.Error("Names() misses the registered scheduler")
	}
}
