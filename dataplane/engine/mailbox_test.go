package engine

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
)

// openConns opens n TCP connections (SYNs from distinct clients) to vip4:80
// through worker 0's port and returns the clients' (address, port) pairs.
func (f *fixture) openConns(n int, now int64) map[netip.AddrPort]bool {
	want := map[netip.AddrPort]bool{}
	for i := 0; i < n; i++ {
		c := client(i)
		port := uint16(10000 + i%50000)
		f.inject(0, syn(c, port, vip4))
		want[netip.AddrPortFrom(c, port)] = true
		if i%500 == 499 {
			f.poll(now)
			f.sent()
		}
	}
	f.poll(now)
	f.sent()
	return want
}

// checkListing compares a listing with the connections opened by
// openConns, all still in SYN_RECV (60 s), listed at now.
func checkListing(t *testing.T, f *fixture, got []ConnInfo, want map[netip.AddrPort]bool, age time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("listed %d connections, want %d", len(got), len(want))
	}
	for _, c := range got {
		k := netip.AddrPortFrom(c.Client, c.CPort)
		if !want[k] {
			t.Fatalf("listed %v, which was not opened (or twice)", k)
		}
		delete(want, k)
		if c.Proto != protoTCP || c.Virtual != vip4 || c.VPort != 80 || c.Service != 0 || (c.Dest != 0 && c.Dest != 1) {
			t.Errorf("%v: %+v, want TCP to %v:80, service 0, dest 0 or 1", k, c, vip4)
		}
		if c.State != conntrack.StateSynRecv || c.Expires != 60*time.Second-age || c.Flags != 0 {
			t.Errorf("%v: state %v expires %v flags %#x, want SYN_RECV, %v, 0", k, c.State, c.Expires, c.Flags, 60*time.Second-age)
		}
		if o := owner(addr16(c.Client), c.CPort, len(f.eng.Workers())); o != c.Worker {
			t.Errorf("%v listed by worker %d, its owner is %d", k, c.Worker, o)
		}
	}
}

func addr16(a netip.Addr) *[16]byte {
	b := a.As16()
	return &b
}

// TestListConnsIdleEngine lists the tables of workers that no goroutine
// runs (the engine was never started): the caller reads them itself.
func TestListConnsIdleEngine(t *testing.T) {
	f := newFixture(t, 2, "rr")
	want := f.openConns(300, 5*second)
	// The workers' clock is the time of their last batch.
	f.poll(15 * second)
	got, err := f.eng.ListConns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkListing(t, f, got, want, 10*time.Second)
}

// TestListConnsRunningEngine lists more connections than one page holds
// while the workers run: they serve the pages between batches.
func TestListConnsRunningEngine(t *testing.T) {
	f := newFixture(t, 2, "rr")
	n := connPageSize + 700
	want := f.openConns(n, second)
	if err := f.eng.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := f.eng.ListConns(ctx)
	f.eng.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// Running workers list with their own clock (time since Start), in
	// which the connections were opened long ago or not yet: check
	// everything but the expiry.
	for i := range got {
		got[i].Expires = 60 * time.Second
	}
	checkListing(t, f, got, want, 0)
}

// TestListConnsGivesUp: a worker that counts as running but never polls
// does not hang the listing past its context, and leaves no request behind.
func TestListConnsGivesUp(t *testing.T) {
	f := newFixture(t, 1, "rr")
	w := f.eng.Workers()[0]
	w.running.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := f.eng.ListConns(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ListConns = %v, want the context's deadline", err)
	}
	if w.mbox.Load() != nil {
		t.Error("the abandoned request is still in the mailbox")
	}
}

// TestServingMailboxAllocatesNothing: a worker answering a listing request
// in Poll allocates nothing.
func TestServingMailboxAllocatesNothing(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.openConns(100, second)
	w := f.eng.Workers()[0]
	buf := make([]conntrack.Record, 64)
	reqs := make([]*connRequest, 300)
	for i := range reqs {
		reqs[i] = &connRequest{out: buf, pe: make([]peRecord, len(buf)), done: make(chan struct{})}
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		w.mbox.Store(reqs[i])
		w.Poll(2 * second)
		i++
	})
	if allocs != 0 {
		t.Errorf("serving the mailbox allocates %.1f times, want 0", allocs)
	}
	if r := reqs[i-1]; r.n != 64 || r.next <= 0 {
		t.Errorf("last request served %d entries, next %d; want 64 and more to come", r.n, r.next)
	}
}

// TestServiceStatsCountEveryPacket: a service counts the connections and
// packets of all its real servers, and keeps them when a server goes.
func TestServiceStatsCountEveryPacket(t *testing.T) {
	f := newFixture(t, 2, "rr")
	f.openConns(40, second)
	for i := 0; i < 40; i++ {
		f.inject(0, tcpFrame(client(i), uint16(10000+i), vip4, packet.TCPAck, []byte("data")))
	}
	f.poll(2 * second)
	f.sent()
	d0, d1, s := f.eng.DestStats(0), f.eng.DestStats(1), f.eng.ServiceStats(0)
	if s.Conns != 40 || s.InPkts != 80 || s.Conns != d0.Conns+d1.Conns || s.InPkts != d0.InPkts+d1.InPkts || s.InBytes != d0.InBytes+d1.InBytes {
		t.Errorf("service %+v, dests %+v %+v: want 40 conns, 80 packets, the sums", s, d0, d1)
	}
	if o := f.eng.ServiceStats(1); o != (ServiceStats{}) {
		t.Errorf("untouched service counted %+v", o)
	}
	f.dests[1].Available = false
	f.publish()
	f.poll(3 * second)
	if s2 := f.eng.ServiceStats(0); s2 != s {
		t.Errorf("deleting a server changed its service's counters: %+v, was %+v", s2, s)
	}
}
