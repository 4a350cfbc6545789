package engine

import (
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// prefetchMinConns is the table size from which a worker prefetches a
// batch's connections (Worker.prefetch). A smaller table stays in the
// caches (60 B per connection: 32k connections are 2 MB, one core's L2
// cache), where the passes would cost a second parse of every frame and
// save nothing. A variable so that tests run the pass on small tables.
var prefetchMinConns = 1 << 15

// Kinds of lookup a received frame will make, as the prefetch pass saw it.
const (
	pfNone  uint8 = iota // not prefetched
	pfConn               // to a service: a connection lookup
	pfReply              // to no service: a reply lookup (NAT, FULLNAT)
)

// prefetchBatch is what the prefetch pass learnt of each received frame:
// the hash of the key it looks up, and which index it looks in. process
// takes the entries in order, one per received frame (Worker.prefetched).
type prefetchBatch struct {
	hash [BatchSize]uint64
	addr [BatchSize]uint64 // the frame's Desc.Addr
	kind [BatchSize]uint8
	n    int // frames of the batch the pass saw; 0 when it did not run
	next int // the entry of the next received frame process takes
}

// prefetch overlaps the cache misses of a received batch's connection
// lookups, which in a table of a million connections are two per frame,
// each waiting for the one before (the index slot, then the entry it
// names): it parses every frame, hashes the key process will look up and
// prefetches its index slot; then, once every slot is on its way, reads
// each slot and prefetches the entry it names; for a reply, then reads
// the entry and prefetches its reply record. process then finds them in
// the cache. It changes nothing: a frame it cannot parse, or one to
// another worker, is left to process as it is.
func (w *Worker) prefetch(rx []port.Desc) {
	pf := &w.pf
	pf.n, pf.next = 0, 0
	if w.ct.Len() < prefetchMinConns {
		return
	}
	pf.n = len(rx)
	var m packet.Meta
	for i := range rx {
		d := &rx[i]
		pf.kind[i], pf.addr[i] = pfNone, d.Addr
		if packet.Parse(w.buf[d.Addr:d.Addr+uint64(d.Len)], &m) != verdict.None ||
			m.Proto != protoTCP && m.Proto != protoUDP && m.Proto != protoSCTP {
			continue
		}
		if svc := w.lookupService(&m); svc != nil {
			if w.ownerOf(svc, &m.Src, m.SrcPort) != w.id {
				continue
			}
			key := conntrack.Key{Client: m.Src, Virtual: m.Dst, CPort: m.SrcPort, VPort: m.DstPort, Proto: m.Proto}
			pf.hash[i], pf.kind[i] = w.ct.Hash(&key), pfConn
			w.ct.PrefetchSlot(pf.hash[i])
		} else if w.ct.ReplyLen() > 0 {
			rk := conntrack.ReplyKey{Peer: m.Src, PeerPort: m.SrcPort, Local: m.Dst, LocalPort: m.DstPort, Proto: m.Proto}
			pf.hash[i], pf.kind[i] = w.ct.ReplyHash(&rk), pfReply
			w.ct.PrefetchReplySlot(pf.hash[i])
		}
	}
	for i := range rx {
		switch pf.kind[i] {
		case pfConn:
			w.ct.PrefetchEntry(pf.hash[i])
		case pfReply:
			w.ct.PrefetchReplyEntry(pf.hash[i])
		}
	}
	// A reply's lookup compares the key in the reply record the entry
	// names: a third miss. (Inbound NAT packets gained nothing from it.)
	for i := range rx {
		if pf.kind[i] == pfReply {
			w.ct.PrefetchReplyRecord(pf.hash[i])
		}
	}
}

// prefetched returns the connection key's hash the prefetch pass computed
// for received frame d, if it did; process calls it once for every
// received frame, in the order of the batch. The pass parsed the same
// bytes as process and built the same key, so the hash is that key's;
// the frame address check keeps a frame out of order from taking another
// frame's hash.
func (w *Worker) prefetched(d *port.Desc) (uint64, bool) {
	pf := &w.pf
	i := pf.next
	if i >= pf.n {
		return 0, false
	}
	pf.next++
	if pf.addr[i] != d.Addr || pf.kind[i] != pfConn {
		return 0, false
	}
	return pf.hash[i], true
}
