package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
)

// TestUpperThresholdHoldsOverWorkers: -x bounds a real server's
// connections over all workers together, as the kernel's one ip_vs_dest
// does, and -y (here the default 3/4 of -x) lets it take new ones again
// once enough have gone. Two workers open connections from clients that
// either owns; rs1 has -x 10.
func TestUpperThresholdHoldsOverWorkers(t *testing.T) {
	const upper = 10
	f := newFixture(t, 2, "rr")
	f.dests[0].UThreshold = upper
	f.publish()
	open := func(from, n int, now int64) {
		for _, flags := range []uint8{packet.TCPSyn, packet.TCPAck} {
			for i := from; i < from+n; i++ {
				f.inject(i%2, tcpFrame(client(i), uint16(40000+7*i), vip4, flags, nil))
			}
			f.poll(now)
			f.sent()
		}
	}
	conns := func(slot uint32) (total uint64, per []uint64) {
		for _, w := range f.eng.Workers() {
			n := w.dest[slot].active.load() + w.dest[slot].inactive.load()
			per = append(per, n)
			total += n
		}
		return total, per
	}
	check := func(when string) {
		t.Helper()
		rs1, per1 := conns(f.svcs[0].Dests[0])
		rs2, _ := conns(f.svcs[0].Dests[1])
		if rs1 != upper || rs1+rs2 != 60 {
			t.Fatalf("%s: rs1 holds %d connections (per worker %v), rs2 %d: want rs1 at its threshold %d and all 60 served (drops %v)",
				when, rs1, per1, rs2, upper, f.eng.Counters().Drops)
		}
		for _, w := range per1 {
			if w == 0 || w == upper {
				t.Errorf("%s: per worker %v: the test wants both workers to have bound connections to rs1", when, per1)
			}
		}
	}
	open(0, 60, 1)
	check("first 60 connections")

	// Every connection times out (ESTABLISHED: 900 s) and is unbound:
	// rs1 is under its lower threshold and takes connections again.
	later := int64(1000e9)
	for range 8 {
		f.poll(later)
	}
	if rs1, per := conns(f.svcs[0].Dests[0]); rs1 != 0 {
		t.Fatalf("after expiry rs1 still holds %d connections (per worker %v)", rs1, per)
	}
	open(1000, 60, later)
	check("60 connections after expiry")
}
