package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// templateSyncTimeout is the timeout of a received template without one
// (a version 0 message): IPVS gives such templates 3 minutes.
const templateSyncTimeout = 3 * 60

// syncTimeout is the timeout a received connection gets: the message's,
// or when it carries none (version 0) the state's from the timeout table.
func (w *Worker) syncTimeout(c *SyncConn, template bool) uint32 {
	switch {
	case c.Timeout != 0:
		return c.Timeout
	case template:
		return templateSyncTimeout
	}
	return w.snap.Timeouts[c.State]
}

// importConn creates or updates the entry of a received connection, in the
// worker's goroutine. The slots were found in the snapshot ImportSync saw;
// they are checked again against the worker's.
func (w *Worker) importConn(r *syncIn, now int64) {
	s, c := w.snap, &r.c
	if int(r.svc) >= len(s.Services) || s.Services[r.svc].Family == 0 || int(r.dst) >= len(s.Dests) {
		w.sx.stale.inc()
		return
	}
	d, svc := &s.Dests[r.dst], &s.Services[r.svc]
	if !d.Available || d.Service != r.svc || d.Addr != c.Dest {
		w.sx.stale.inc()
		return
	}
	key := conntrack.Key{Client: c.Client, Virtual: c.Virtual, CPort: c.CPort, VPort: c.VPort, Proto: c.Proto}
	template := c.Flags&conntrack.FlagTemplate != 0
	if idx, ok := w.ct.Lookup(&key, now); ok {
		w.updateImported(idx, c, template, now)
		return
	}
	idx, reclaimed, ok := w.ct.InsertReclaim(&key, now, &w.reclaimed)
	if reclaimed {
		w.release(&w.reclaimed.Key, &w.reclaimed.Entry, now)
		w.c.connsExpired.inc()
	}
	if !ok {
		w.sx.stale.inc()
		return
	}
	e := w.ct.At(idx)
	e.Dest, e.Service, e.State = r.dst, uint16(r.svc), c.State
	w.c.states[e.State].inc() // release takes it back
	e.Sync = SyncThreshold | uint32(c.State)<<24
	w.ct.Touch(idx, now, w.syncTimeout(c, template))
	if template {
		e.Flags = conntrack.FlagTemplate
		w.tmplGen++
		w.links[idx] = persistLink{gen: w.tmplGen, deadline: e.Expires}
		w.dest[r.dst].persist.inc()
	} else {
		w.linkConn(idx, e, w.importedTemplate(svc, &key, e, now))
		w.bindConn(r.dst, c.State.Active(), +1)
		w.holdTemplate(idx, e, now)
	}
	w.c.connsCreated.inc()
	w.sx.imported.inc()
}

// importedTemplate returns the index of the live template of persistent
// service svc that a received connection e with key ck belongs to, or -1.
func (w *Worker) importedTemplate(svc *snapshot.Service, ck *conntrack.Key, e *conntrack.Entry, now int64) int32 {
	if svc.Flags&snapshot.SvcPersistent == 0 {
		return -1
	}
	k := &w.ctlKey
	templateKeyOf(svc, ck.Proto, &ck.Client, &ck.Virtual, ck.VPort, k)
	ti, ok := w.ct.Lookup(k, now)
	if !ok || w.ct.At(ti).Flags&conntrack.FlagTemplate == 0 || w.ct.At(ti).Dest != e.Dest {
		return -1
	}
	return ti
}

// updateImported applies a received update to the live entry idx: its
// state (moving the real server's active/inactive count) and timeout; the
// real server stays, as in ip_vs_proc_conn.
func (w *Worker) updateImported(idx int32, c *SyncConn, template bool, now int64) {
	e := w.ct.At(idx)
	if (e.Flags&conntrack.FlagTemplate != 0) != template {
		w.sx.stale.inc()
		return
	}
	if template {
		l := &w.links[idx]
		l.deadline = now + int64(w.syncTimeout(c, true))*1e9
		if l.ref > 0 {
			e.Expires = max(e.Expires, l.deadline)
		} else {
			e.Expires = l.deadline
		}
		w.sx.updated.inc()
		return
	}
	if c.State != e.State {
		if was, is := e.State.Active(), c.State.Active(); was != is {
			w.countConn(e.Dest, was, -1)
			w.countConn(e.Dest, is, +1)
		}
		w.c.states[e.State].dec()
		w.c.states[c.State].inc()
		e.State = c.State
	}
	e.Sync = SyncThreshold | uint32(c.State)<<24
	w.ct.Touch(idx, now, w.syncTimeout(c, template))
	w.holdTemplate(idx, e, now)
	w.sx.updated.inc()
}
