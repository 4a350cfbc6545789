// Package affinity pins the calling OS thread to a CPU. It wraps
// golang.org/x/sys/unix so that dataplane packages need not import it.
package affinity

import "golang.org/x/sys/unix"

// Pin restricts the calling thread to cpu. Call it after
// runtime.LockOSThread.
func Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}
