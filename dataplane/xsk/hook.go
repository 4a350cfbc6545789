package xsk

import "sync"

// copyMode is the hook told about interfaces that run in copy mode.
var copyMode struct {
	mu   sync.Mutex
	hook func(ifindex, queue int)
	told map[int]bool // ifindexes already reported
}

// SetCopyModeHook installs fn, called once per interface index (for the
// life of the process, or until the next SetCopyModeHook) the first time a
// socket bound there with [ModeAuto] ends up in copy mode, typically to
// log it: copy mode costs a copy per packet in each direction. fn runs
// inside [UMEM.Bind] and must not call back into this package. nil removes
// the hook. Safe for concurrent use.
func SetCopyModeHook(fn func(ifindex, queue int)) {
	copyMode.mu.Lock()
	defer copyMode.mu.Unlock()
	copyMode.hook = fn
	copyMode.told = nil
}

// notifyCopyMode calls the hook if this interface was not reported yet.
func notifyCopyMode(ifindex, queue int) {
	copyMode.mu.Lock()
	defer copyMode.mu.Unlock()
	if copyMode.hook == nil || copyMode.told[ifindex] {
		return
	}
	if copyMode.told == nil {
		copyMode.told = make(map[int]bool)
	}
	copyMode.told[ifindex] = true
	copyMode.hook(ifindex, queue)
}
