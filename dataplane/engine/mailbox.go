package engine

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

// The control mailbox lets the control plane read a worker's connection
// table without a lock: it posts a request in the worker's mailbox (an
// atomic pointer), the worker notices it at the start of its next batch
// (one atomic load per Poll), copies one page of entries into the
// request's preallocated buffer and closes the request's done channel.
// Nothing is allocated on the worker's side. A worker that is not running
// (engine not started, or stopped) cannot answer; after a short wait the
// requester takes its request back and reads the table itself, which is
// safe because no goroutine owns it then.

// connPageSize is the number of entries one mailbox request carries.
const connPageSize = 4096

// mailboxRetry is how often a waiting requester checks whether the
// worker it asked is still running.
const mailboxRetry = 5 * time.Millisecond

// mailbox is the part of a Worker the control plane talks to.
type mailbox struct {
	mbox    atomic.Pointer[connRequest]
	running atomic.Bool  // the worker's goroutine is inside run
	lastNow atomic.Int64 // the time of the last Poll
}

// connRequest asks for one page of a connection table: the entries live
// at pool index from and after. Whoever takes the request out of the
// mailbox (compare-and-swap to nil) serves it, exactly once.
type connRequest struct {
	from    int
	out     []conntrack.Record
	pe      []peRecord // out[i]'s persistence-engine data (pesip.go)
	n, next int        // filled by the server: entries copied, next from (-1: done)
	now     int64      // the serving worker's clock, for the entries' Expires
	done    chan struct{}
}

// checkMailbox serves a pending request. It runs once per Poll and
// allocates nothing.
func (w *Worker) checkMailbox(now int64) {
	w.lastNow.Store(now)
	r := w.mbox.Load()
	if r == nil || !w.mbox.CompareAndSwap(r, nil) {
		return
	}
	r.serve(w.ct, w.pe, now)
}

func (r *connRequest) serve(ct *conntrack.Table, pe []peRecord, now int64) {
	r.n, r.next = ct.Page(r.from, now, r.out)
	for i := range r.pe[:min(r.n, len(r.pe))] {
		peInfo(ct, pe, &r.out[i], now, &r.pe[i])
	}
	r.now = now
	close(r.done)
}

// ask posts r to w and waits until it is served, by w or, when w is not
// running, by the caller itself.
func (w *Worker) ask(ctx context.Context, r *connRequest) error {
	w.mbox.Store(r)
	t := time.NewTicker(mailboxRetry)
	err := w.await(ctx, r, t.C)
	t.Stop()
	return err
}

func (w *Worker) await(ctx context.Context, r *connRequest, tick <-chan time.Time) error {
	for {
		select {
		case <-r.done:
			return nil
		case <-ctx.Done():
			if w.mbox.CompareAndSwap(r, nil) {
				return ctx.Err()
			}
			<-r.done // the worker took it: it is serving it now
			return nil
		case <-tick:
			if !w.running.Load() && w.mbox.CompareAndSwap(r, nil) {
				r.serve(w.ct, w.pe, w.lastNow.Load())
				return nil
			}
		}
	}
}

// ConnInfo is one connection as the control plane lists it (ipvsadm -L -c).
type ConnInfo struct {
	Proto   uint8 // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP
	Client  netip.Addr
	CPort   uint16
	Virtual netip.Addr
	VPort   uint16
	Dest    uint32 // destination slot (snapshot.Dest.ID)
	Service uint32 // service slot (snapshot.Service.ID)
	State   conntrack.State
	// Expires is the time left before the connection expires.
	Expires time.Duration
	// Flags are the entry's flags, conntrack.FlagTemplate among them.
	Flags uint8
	// Worker is the index of the worker that owns the connection.
	Worker int
	// PEName and PEData are a template's persistence engine ("sip") and
	// its data (the Call-ID); empty for other entries.
	PEName string
	PEData string
}

// ListConns returns the live connections of every worker. Workers serve
// it a page at a time between batches, so a listing never stops the
// packet path for long; a running worker answers within a batch or an
// idle wait (1 ms). Stopped workers are read directly. It fails only
// when ctx ends first.
//
// Tests that drive workers with Poll themselves must not call ListConns
// from another goroutine while they poll: a worker that is not running
// is read by the caller.
func (e *Engine) ListConns(ctx context.Context) ([]ConnInfo, error) {
	e.listMu.Lock()
	out, err := e.listConns(ctx)
	e.listMu.Unlock()
	return out, err
}

func (e *Engine) listConns(ctx context.Context) ([]ConnInfo, error) {
	buf := make([]conntrack.Record, connPageSize)
	pe := make([]peRecord, connPageSize)
	var out []ConnInfo
	for _, w := range e.workers {
		for from := 0; from >= 0; {
			r := &connRequest{from: from, out: buf, pe: pe, done: make(chan struct{})}
			if err := w.ask(ctx, r); err != nil {
				return nil, err
			}
			for i := range r.out[:r.n] {
				out = append(out, connInfo(&r.out[i], &r.pe[i], r.now, w.id))
			}
			from = r.next
		}
	}
	return out, nil
}

func connInfo(r *conntrack.Record, pe *peRecord, now int64, worker int) ConnInfo {
	k, en := &r.Key, &r.Entry
	ci := ConnInfo{
		Proto:  k.Proto,
		Client: netip.AddrFrom16(k.Client).Unmap(), CPort: k.CPort,
		Virtual: netip.AddrFrom16(k.Virtual).Unmap(), VPort: k.VPort,
		Dest: en.Dest, Service: uint32(en.Service), State: en.State,
		Expires: time.Duration(en.Expires - now),
		Flags:   en.Flags, Worker: worker,
	}
	if pe.n > 0 {
		ci.Virtual = netip.AddrFrom16(pe.vaddr).Unmap()
		ci.PEName, ci.PEData = "sip", string(pe.data[:pe.n])
	}
	return ci
}
