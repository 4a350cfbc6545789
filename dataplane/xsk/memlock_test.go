package xsk

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRaiseMemlock lowers the soft limit, raises it back with RaiseMemlock
// and restores it; raising the hard limit is tried only where allowed.
func TestRaiseMemlock(t *testing.T) {
	var orig unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, nil, &orig); err != nil {
		t.Fatal(err)
	}
	if orig.Cur == unix.RLIM_INFINITY || orig.Cur < 2<<20 {
		t.Skipf("soft RLIMIT_MEMLOCK %d: nothing to lower and raise", orig.Cur)
	}
	defer func() {
		if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, &orig, nil); err != nil {
			t.Errorf("restore RLIMIT_MEMLOCK: %v", err)
		}
	}()
	low := unix.Rlimit{Cur: 1 << 20, Max: orig.Max}
	if err := unix.Prlimit(0, unix.RLIMIT_MEMLOCK, &low, nil); err != nil {
		t.Fatal(err)
	}
	if err := RaiseMemlock(orig.Cur); err != nil {
		t.Fatalf("RaiseMemlock(%d) under the hard limit %d: %v", orig.Cur, orig.Max, err)
	}
	if got, err := Memlock(); err != nil || got != orig.Cur {
		t.Errorf("Memlock() = %d, %v after RaiseMemlock(%d)", got, err, orig.Cur)
	}
	if err := RaiseMemlock(1 << 20); err != nil {
		t.Errorf("RaiseMemlock below the limit = %v, want a no-op", err)
	}
	if got, _ := Memlock(); got != orig.Cur {
		t.Errorf("RaiseMemlock below the limit changed it to %d", got)
	}
	if orig.Max == unix.RLIM_INFINITY {
		return
	}
	above := orig.Max + 1<<20
	err := RaiseMemlock(above)
	switch {
	case errors.Is(err, unix.EPERM):
		t.Logf("no CAP_SYS_RESOURCE: %v", err)
	case err != nil:
		t.Errorf("RaiseMemlock above the hard limit: %v", err)
	default:
		if got, _ := Memlock(); got < above {
			t.Errorf("Memlock() = %d after RaiseMemlock(%d)", got, above)
		}
	}
}
