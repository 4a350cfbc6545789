package affinity

import "golang.org/x/sys/unix"

// Pin restricts the calling thread to cpu. Call it after
// runtime.LockOSThread.
func Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}
