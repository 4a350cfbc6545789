package sync

import (
	"errors"
	stdsync "sync"
	"sync/atomic"
)

// stats are a manager's counters by name, created on first use.
type stats struct {
	mu stdsync.Mutex
	m  map[string]*atomic.Uint64
}

func (s *stats) add(name string, n uint64) {
	s.mu.Lock()
	c := s.m[name]
	if c == nil {
		if s.m == nil {
			s.m = map[string]*atomic.Uint64{}
		}
		c = new(atomic.Uint64)
		s.m[name] = c
	}
	s.mu.Unlock()
	c.Add(n)
}

func (s *stats) inc(name string) { s.add(name, 1) }

func (s *stats) snapshot(out map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.m {
		out[k] = c.Load()
	}
}

// decodeReason names a Decode error for the counters.
func decodeReason(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{
		{ErrShort, "short"}, {ErrSize, "size"}, {ErrSyncID, "other-syncid"}, {ErrTruncated, "truncated"},
		{ErrEntryVer, "entry-version"}, {ErrEntryType, "entry-type"}, {ErrOption, "option"},
	} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "other"
}
