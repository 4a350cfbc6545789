package sched

func init() {
	Register("lblcr", NewLBLCR)
}

// localityLCR is ip_vs_lblcr.c: the destination address of a connection is
// mapped to a set of servers. The least loaded usable member of the set is
// chosen unless it is over its weight in active connections while another
// server is under half of its own; then wlc chooses a server and adds it
// to the set. A set of more than one that has not changed for the
// expiration period sheds its most loaded member.
//
// Unlike the kernel, the cache starts empty whenever the scheduler is
// rebuilt.
type localityLCR struct {
	tbl        locTable
	sets       setPool
	now        Clock
	expiration int64
}

// NewLBLCR returns the locality-based least-connection with replication
// scheduler ("lblcr"). It ignores flags.
func NewLBLCR(dests []Dest, flags Flags) Scheduler {
	return NewLBLCRWithClock(dests, flags, monotonic, int64(LocalityExpiration))
}

// NewLBLCRWithClock is [NewLBLCR] with a given clock and expiration (the
// lblcr_expiration sysctl, in nanoseconds).
func NewLBLCRWithClock(_ []Dest, _ Flags, now Clock, expiration int64) Scheduler {
	s := &localityLCR{now: now, expiration: expiration}
	s.tbl.init(now())
	s.sets.init(4 * (locMaxEntries + 1))
	return s
}

// Pick implements [Scheduler]; it hashes k.Dst.
func (s *localityLCR) Pick(dests []Dest, k *Key) int {
	if k == nil {
		return -1
	}
	now := s.now()
	s.tbl.collect(now, s.expiration, &s.sets)
	e := s.tbl.get(&k.Dst)
	if e < 0 {
		i := leastLoaded(dests)
		if i < 0 {
			return -1
		}
		if e = s.tbl.add(&k.Dst, now); e >= 0 {
			s.insert(&s.tbl.ent[e], int32(i), now)
		}
		return i
	}
	en := &s.tbl.ent[e]
	en.lastuse = now
	i := s.sets.min(dests, en.dest)
	if en.size > 1 && now-en.lastmod > s.expiration {
		if m := s.sets.max(dests, en.dest); m >= 0 {
			s.erase(en, m, now)
		}
	}
	if i >= 0 && !localityOverloaded(dests, &dests[i]) {
		return i
	}
	if i = leastLoaded(dests); i < 0 {
		return -1
	}
	s.insert(en, int32(i), now)
	return i
}

// insert adds dest at the head of en's set unless it is there already
// (ip_vs_dest_set_insert); when the element pool is exhausted the set is
// left as it is, as the kernel does when kmalloc fails.
func (s *localityLCR) insert(en *locEntry, dest int32, now int64) {
	for x := en.dest; x >= 0; x = s.sets.el[x].next {
		if s.sets.el[x].dest == dest {
			return
		}
	}
	x := s.sets.alloc()
	if x < 0 {
		return
	}
	s.sets.el[x] = setElem{dest: dest, next: en.dest}
	en.dest = x
	en.size++
	en.lastmod = now
}

// erase removes dest from en's set (ip_vs_dest_set_erase).
func (s *localityLCR) erase(en *locEntry, dest int32, now int64) {
	prev := int32(-1)
	for x := en.dest; x >= 0; prev, x = x, s.sets.el[x].next {
		if s.sets.el[x].dest != dest {
			continue
		}
		if prev < 0 {
			en.dest = s.sets.el[x].next
		} else {
			s.sets.el[prev].next = s.sets.el[x].next
		}
		s.sets.release(x)
		en.size--
		en.lastmod = now
		return
	}
}

// setElem is one member of an lblcr destination set.
type setElem struct {
	dest int32 // destination index
	next int32 // next member, or next free element
}

// setPool holds the members of all lblcr sets, chained by index.
type setPool struct {
	el   []setElem
	used int32
	free int32
}

func (p *setPool) init(n int) {
	p.el = make([]setElem, n)
	p.free = -1
}

func (p *setPool) alloc() int32 {
	if p.free >= 0 {
		x := p.free
		p.free = p.el[x].next
		return x
	}
	if int(p.used) < len(p.el) {
		p.used++
		return p.used - 1
	}
	return -1
}

func (p *setPool) release(x int32) {
	p.el[x].next = p.free
	p.free = x
}

// releaseAll frees a whole set given its first element.
func (p *setPool) releaseAll(x int32) {
	for x >= 0 {
		next := p.el[x].next
		p.release(x)
		x = next
	}
}

// min is ip_vs_dest_set_min: the member with the least
// ((active<<8)+inactive)/weight among those in service and not
// overloaded, the first one having weight > 0; -1 if none.
func (p *setPool) min(dests []Dest, x int32) int {
	least := -1
	var loh uint64
	var lw int32
	for ; x >= 0; x = p.el[x].next {
		i := int(p.el[x].dest)
		if i >= len(dests) {
			continue
		}
		d := &dests[i]
		if !d.usable() {
			continue
		}
		doh := connOverhead(d)
		if least < 0 || heavier(loh, lw, doh, d.Weight) {
			least, loh, lw = i, doh, d.Weight
		}
	}
	return least
}

// max is ip_vs_dest_set_max: the member with the most
// ((active<<8)+inactive)/weight among those with weight > 0, the first one
// winning ties; it looks at neither overload nor availability. -1 if none.
func (p *setPool) max(dests []Dest, x int32) int32 {
	most := int32(-1)
	var moh uint64
	for ; x >= 0; x = p.el[x].next {
		i := p.el[x].dest
		if int(i) >= len(dests) {
			continue
		}
		d := &dests[i]
		if d.Weight <= 0 {
			continue
		}
		doh := connOverhead(d)
		if most < 0 || heavier(doh, d.Weight, moh, dests[most].Weight) {
			most, moh = i, doh
		}
	}
	return most
}
