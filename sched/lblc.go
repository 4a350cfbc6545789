package sched

func init() {
	Register("lblc", NewLBLC)
}

// leastLoaded is __ip_vs_lblc_schedule and __ip_vs_lblcr_schedule: the
// same choice as wlc.
func leastLoaded(dests []Dest) int {
	return weightedLeastConn{}.Pick(dests, nil)
}

// localityLC is ip_vs_lblc.c: the destination address of a connection is
// mapped to the server chosen for it last time, as long as that server is
// in service, not quiesced, and not over its weight in active connections
// while another server is under half of its own; otherwise wlc chooses and
// the mapping is updated.
//
// As in the kernel, a cached server is reused even if its connection
// threshold has marked it overloaded. Unlike the kernel, the cache starts
// empty whenever the scheduler is rebuilt.
type localityLC struct {
	tbl        locTable
	now        Clock
	expiration int64
}

// NewLBLC returns the locality-based least-connection scheduler ("lblc").
// It ignores flags.
func NewLBLC(dests []Dest, flags Flags) Scheduler {
	return NewLBLCWithClock(dests, flags, monotonic, int64(LocalityExpiration))
}

// NewLBLCWithClock is [NewLBLC] with a given clock and expiration (the
// lblc_expiration sysctl, in nanoseconds).
func NewLBLCWithClock(_ []Dest, _ Flags, now Clock, expiration int64) Scheduler {
	s := &localityLC{now: now, expiration: expiration}
	s.tbl.init(now())
	return s
}

// Pick implements [Scheduler]; it hashes k.Dst.
func (s *localityLC) Pick(dests []Dest, k *Key) int {
	if k == nil {
		return -1
	}
	now := s.now()
	s.tbl.collect(now, s.expiration, nil)
	e := s.tbl.get(&k.Dst)
	if e >= 0 {
		en := &s.tbl.ent[e]
		en.lastuse = now
		if i := int(en.dest); i >= 0 && i < len(dests) {
			d := &dests[i]
			if d.present() && d.Weight > 0 && !localityOverloaded(dests, d) {
				return i
			}
		}
	}
	i := leastLoaded(dests)
	if i < 0 {
		return -1
	}
	if e < 0 {
		e = s.tbl.add(&k.Dst, now) // on failure the choice is used uncached
	}
	if e >= 0 {
		s.tbl.ent[e].dest = int32(i)
		s.tbl.ent[e].lastuse = now
	}
	return i
}
