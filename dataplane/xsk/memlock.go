package xsk

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RaiseMemlock raises the process's RLIMIT_MEMLOCK to at least n bytes
// (soft and hard limit), which registering a UMEM needs without
// CAP_IPC_LOCK: the kernel charges every registered UMEM to it. Raising the
// hard limit needs CAP_SYS_RESOURCE. A limit already at least n is left
// alone.
func RaiseMemlock(n uint64) error {
	var lim unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, nil, &lim); err != nil {
		return fmt.Errorf("xsk: get RLIMIT_MEMLOCK: %w", err)
	}
	if lim.Cur >= n {
		return nil
	}
	hard := lim.Max
	lim.Cur = n
	lim.Max = max(lim.Max, n)
	if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, &lim, nil); err != nil {
		if n > hard {
			return fmt.Errorf("xsk: raise RLIMIT_MEMLOCK to %d bytes above its hard limit %d (needs CAP_SYS_RESOURCE): %w", n, hard, err)
		}
		return fmt.Errorf("xsk: raise RLIMIT_MEMLOCK to %d bytes: %w", n, err)
	}
	return nil
}

// Memlock returns the process's soft RLIMIT_MEMLOCK in bytes
// (RLIM_INFINITY is ^uint64(0)).
func Memlock() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, nil, &lim); err != nil {
		return 0, fmt.Errorf("xsk: get RLIMIT_MEMLOCK: %w", err)
	}
	return lim.Cur, nil
}
