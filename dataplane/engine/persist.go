package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Persistence, as IPVS does it (ip_vs_sched_persist, ip_vs_check_template).
//
// A persistent service pins a client — its address masked with the
// service's netmask — to a real server with a template: an entry of the
// worker's connection table flagged conntrack.FlagTemplate whose key is
//
//	address service:     <proto, client&mask, 0, vaddr, vport>
//	port-0 service:      <proto, client&mask, 0, vaddr, 0>   (all ports of the VIP)
//	FTP (port 21):       <proto, client&mask, 0, vaddr, 0>   (shares the port-0 template)
//	firewall-mark:       <0 (IPPROTO_IP), client&mask, 0, mark, 0>
//
// where the mark is written as an address the way IPVS does (htonl(mark)
// in the first word of nf_inet_addr): ::ffff:0.0.0.<mark> for IPv4
// services, mark:: in the first four bytes for IPv6 ones.
//
// A new connection of a persistent service uses the server of a live,
// usable template and re-arms the template to the persistence timeout
// (ip_vs_conn_put on the template); otherwise it is scheduled and a new
// template created. A template is usable while its server is available,
// still a server of this service, and not quiesced: a weight-0 or deleted
// server's template is removed and replaced by a fresh schedule, as IPVS
// does with expire_quiescent_template=1 (xlvs always applies it).
//
// A template outlives the connections it scheduled: its own deadline is
// the persistence timeout after the last connection it scheduled. As
// IPVS's n_control keeps a controlling template, it never expires before
// the connections it controls: it counts them, and every time a controlled
// connection's timer is re-armed the template's expiry is raised to at
// least the connection's. When the last of them leaves the table the
// template's expiry goes back to its own deadline, or now if that has
// passed (IPVS re-arms such a template in 60 s steps instead).
// Connections find their template through links, a per-worker array
// parallel to the connection table, with a template generation number
// that makes a stale link (template replaced, entry reused) harmless; a
// connection leaving the table finds its template again by key. Only
// templates and the connections they control (conntrack.FlagLinked) have
// a link: the flags gate every read and write, so the array's memory is
// never touched by other connections.
//
// Because a worker keeps its own table, all connections of a client (or of
// its netmask) must be on one worker: persistent services own flows by
// hash(client & mask) (ownerOf).

// ftpPort is the port whose templates IPVS keys without the virtual port,
// so that FTP's data connections follow the control connection.
const ftpPort = 21

// persistLink ties a table entry to persistence. A connection controlled
// by a template holds the template's index+1 in ref and its generation; a
// template holds the number of connections it controls in ref, its own
// generation and its persistence deadline; other entries hold zero.
type persistLink struct {
	ref      int32
	gen      uint32
	deadline int64
}

// schedPersist chooses the destination of a new connection of persistent
// service svc: the server of the client's usable template, or a freshly
// scheduled one with a new template. It returns the destination slot and
// the template's index.
func (w *Worker) schedPersist(svc *snapshot.Service, m *packet.Meta, now int64) (uint32, int32, verdict.DropReason) {
	if m.SrcPort == 0 {
		// The connection's key could be its own template's.
		return 0, 0, verdict.SrcPortZero
	}
	k := &w.tmplKey
	templateKey(svc, m, k)
	if r := w.peKey(svc, m, k); r != verdict.None { // --pe sip (pesip.go)
		return 0, 0, r
	}
	if ti, ok := w.ct.Lookup(k, now); ok {
		t := w.ct.At(ti)
		if w.templateUsable(svc, t) && w.peMatches(ti) {
			l := &w.links[ti]
			l.deadline = now + int64(svc.PersistTimeout)*1e9
			t.Expires = max(t.Expires, l.deadline)
			return t.Dest, ti, verdict.None
		}
		// expire_quiescent_template: the template stops attracting.
		w.releaseLive(ti, now)
		w.ct.Delete(ti)
		w.c.connsExpired.inc()
	}
	slot, ok := w.pick(svc, m)
	if !ok {
		return 0, 0, verdict.NoDest
	}
	ti, reclaimed, ok := w.ct.InsertReclaim(k, now, &w.reclaimed)
	if reclaimed {
		w.release(&w.reclaimed.Key, &w.reclaimed.Entry, now)
		w.c.connsExpired.inc()
	}
	if !ok {
		return 0, 0, verdict.ConnTableFull
	}
	t := w.ct.At(ti)
	t.Dest, t.Service = slot, uint16(svc.ID)
	t.Flags = conntrack.FlagTemplate
	w.pePut(ti, t)
	t.State = conntrack.StateNone
	w.c.states[t.State].inc()
	w.ct.Touch(ti, now, svc.PersistTimeout)
	w.tmplGen++
	w.links[ti] = persistLink{gen: w.tmplGen, deadline: t.Expires}
	w.dest[slot].persist.inc()
	w.c.connsCreated.inc()
	return slot, ti, verdict.None
}

// templateKey writes the key of the persistence template of a packet of
// persistent service svc into k.
func templateKey(svc *snapshot.Service, m *packet.Meta, k *conntrack.Key) {
	templateKeyOf(svc, m.Proto, &m.Src, &m.Dst, m.DstPort, k)
}

// templateKeyOf writes into k the key of the template of a connection of
// persistent service svc from client to vaddr:vport over proto.
func templateKeyOf(svc *snapshot.Service, proto uint8, client, vaddr *[16]byte, vport uint16, k *conntrack.Key) {
	*k = conntrack.Key{}
	svc.MaskClient(&k.Client, client)
	if svc.FWMark != 0 {
		mark := svc.FWMark
		if svc.Family == 4 {
			k.Virtual[10], k.Virtual[11] = 0xff, 0xff
			k.Virtual[12], k.Virtual[13], k.Virtual[14], k.Virtual[15] = byte(mark>>24), byte(mark>>16), byte(mark>>8), byte(mark)
		} else {
			k.Virtual[0], k.Virtual[1], k.Virtual[2], k.Virtual[3] = byte(mark>>24), byte(mark>>16), byte(mark>>8), byte(mark)
		}
		return // IPPROTO_IP, virtual port 0
	}
	k.Proto = proto
	k.Virtual = *vaddr
	if svc.Port != 0 && svc.Port != ftpPort {
		k.VPort = vport
	}
}

// templateUsable reports whether template t may attract a new connection
// of svc (ip_vs_check_template with expire_quiescent_template=1).
func (w *Worker) templateUsable(svc *snapshot.Service, t *conntrack.Entry) bool {
	if int(t.Dest) >= len(w.snap.Dests) {
		return false
	}
	d := &w.snap.Dests[t.Dest]
	return d.Available && d.Weight > 0 && d.Service == svc.ID && uint32(t.Service) == svc.ID
}

// linkConn records that new connection idx (entry e) is controlled by
// template ti, or by none when ti < 0. A connection without a template
// writes nothing: its entry is new, so its flags are zero and nobody
// reads its link.
func (w *Worker) linkConn(idx int32, e *conntrack.Entry, ti int32) {
	if ti < 0 {
		return
	}
	w.links[ti].ref++
	w.links[idx] = persistLink{ref: ti + 1, gen: w.links[ti].gen}
	e.Flags |= conntrack.FlagLinked
}

// holdTemplate keeps the template controlling connection e (if any) alive
// at least as long as e: called whenever e's timer is re-armed.
func (w *Worker) holdTemplate(idx int32, e *conntrack.Entry, now int64) {
	if e.Flags&conntrack.FlagLinked == 0 {
		return
	}
	l := w.links[idx]
	ti := l.ref - 1
	t := w.ct.At(ti)
	if t.Flags&conntrack.FlagTemplate == 0 || w.links[ti].gen != l.gen || t.Expires <= now {
		return // replaced or expired: the link is stale
	}
	if t.Expires < e.Expires {
		t.Expires = e.Expires
	}
}

// release accounts for an entry with key k leaving the table (expired,
// reclaimed, replaced or one-packet): a template's persistent count, or a
// connection's active or inactive count and its template's control count.
// e may be a copy (expiry hands out copies).
func (w *Worker) release(k *conntrack.Key, e *conntrack.Entry, now int64) {
	w.c.states[e.State].dec()
	if e.LPort != 0 {
		w.releasePort(uint32(e.LAddr), e.Proto(), e.LPort) // FULLNAT (fullnat.go)
	}
	if e.Flags&conntrack.FlagTemplate != 0 {
		c := &w.dest[e.Dest].persist
		c.set(c.load() - 1)
		return
	}
	w.bindConn(e.Dest, e.State.Active(), -1)
	if e.Flags&conntrack.FlagLinked == 0 {
		return // never linked to a template (one-packet ones never are: onepacket.go)
	}
	if int(e.Service) < len(w.snap.Services) && w.snap.Services[e.Service].Flags&snapshot.SvcPersistent != 0 {
		w.uncontrol(&w.snap.Services[e.Service], k, e, now)
	}
}

// releaseLive is release for live entry idx, which the caller deletes
// next.
func (w *Worker) releaseLive(idx int32, now int64) {
	w.release(w.keyOf(idx), w.ct.At(idx), now)
}

// uncontrol drops connection e with key ck, which is leaving the table,
// from the control count of its template, found by key (e's copy carries
// no index), and gives the template its own deadline back when e was the
// last connection it controlled.
func (w *Worker) uncontrol(svc *snapshot.Service, ck *conntrack.Key, e *conntrack.Entry, now int64) {
	k := &w.ctlKey
	templateKeyOf(svc, ck.Proto, &ck.Client, &ck.Virtual, ck.VPort, k)
	ti, ok := w.ct.Lookup(k, now)
	if !ok {
		return // expired already, or the service's persistence changed
	}
	t := w.ct.At(ti)
	if t.Flags&conntrack.FlagTemplate == 0 {
		return // not a template: its link is not one
	}
	l := &w.links[ti]
	if t.Dest != e.Dest || l.ref <= 0 {
		return // a replacement template: e was not its connection
	}
	l.ref--
	if l.ref == 0 {
		t.Expires = max(l.deadline, now)
	}
}

// releaseOnePacket removes the connection created for a one-packet
// scheduled datagram (-o) once the datagram has been forwarded: IPVS
// frees such a connection right after it is used, so every datagram is
// scheduled. A FULLNAT one that sent its datagram waits for its reply
// instead (onepacket.go).
func (w *Worker) releaseOnePacket(now int64, sent bool) {
	idx := w.ops
	w.ops = -1
	e := w.ct.At(idx)
	if e.LPort != 0 && w.awaitReply(idx, e, now, sent) {
		return
	}
	if e.LPort != 0 {
		w.releasePort(uint32(e.LAddr), e.Proto(), e.LPort) // FULLNAT (fullnat.go)
	}
	w.bindConn(e.Dest, e.State.Active(), -1) // never linked to a template
	w.c.states[e.State].dec()
	w.ct.Delete(idx)
	w.c.connsExpired.inc()
}
