package engine

import (
	"math"
	"testing"

	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// TestCountingSchedulersBalanceWithTwoWorkers measures how evenly the
// counting schedulers spread long-lived connections when every worker
// schedules with its own connection counts (ARCHITECTURE.md, "Connection
// counts and schedulers", quotes its output): 3000 ESTABLISHED connections
// from distinct clients over three real servers of weights 1, 2 and 3,
// with one worker and with two. It fails if any server's share strays more
// than 1% of the connections from the ideal (weighted) share.
//
//	go test -run TestCountingSchedulersBalanceWithTwoWorkers -v ./dataplane/engine
func TestCountingSchedulersBalanceWithTwoWorkers(t *testing.T) {
	const conns = 3000
	weights := []int32{1, 2, 3}
	for _, name := range []string{"lc", "wlc", "sed", "nq"} {
		for _, workers := range []int{1, 2} {
			got, perWorker := balanceRun(t, name, workers, weights, conns)
			ideal := idealShares(name, weights, conns)
			worst := 0.0
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i])-ideal[i]))
			}
			t.Logf("%-4s %d worker(s): active conns %v (per worker %v), ideal %.0f, worst deviation %.0f (%.2f%%)",
				name, workers, got, perWorker, ideal, worst, 100*worst/conns)
			if worst > conns/100 {
				t.Errorf("%s with %d workers: %v, ideal %.0f", name, workers, got, ideal)
			}
		}
	}
}

// idealShares is where a counting scheduler settles: lc ignores weights,
// the others split in proportion to them.
func idealShares(sched string, weights []int32, conns int) []float64 {
	out := make([]float64, len(weights))
	total := 0.0
	for _, w := range weights {
		total += float64(w)
	}
	for i, w := range weights {
		if sched == "lc" {
			out[i] = float64(conns) / float64(len(weights))
		} else {
			out[i] = float64(conns) * float64(w) / total
		}
	}
	return out
}

// balanceRun opens conns connections (SYN, then ACK) to a service of
// three real servers and returns each server's active connections summed
// over the workers, and per worker.
func balanceRun(t *testing.T, sched string, workers int, weights []int32, conns int) ([]uint64, [][]uint64) {
	f := newFixture(t, workers, sched)
	rs3 := f.dests[1]
	rs3.ID, rs3.Addr = 6, [16]byte{10: 0xff, 11: 0xff, 12: 198, 13: 18, 14: 0, 15: 13}
	rs3.NextHop.DstMAC = testpkt.MAC("02:00:00:00:00:13")
	f.dests = append(f.dests, rs3)
	f.svcs[0].Dests = []uint32{0, 1, 6}
	for i, slot := range f.svcs[0].Dests {
		f.dests[slot].Weight = weights[i]
	}
	f.publish()
	for base := 0; base < conns; base += 32 {
		for _, flags := range []uint8{packet.TCPSyn, packet.TCPAck} {
			for i := base; i < min(base+32, conns); i++ {
				// Frames arrive on either queue, as RSS spreads them; owners differ.
				f.inject(i%workers, tcpFrame(client(i), uint16(40000+7*i), vip4, flags, nil))
			}
			f.poll(1)
			f.sent()
		}
	}
	got := make([]uint64, 3)
	per := make([][]uint64, workers)
	for wi, w := range f.eng.Workers() {
		per[wi] = make([]uint64, 3)
		for i, slot := range f.svcs[0].Dests {
			n := w.dest[slot].active.load()
			per[wi][i] = n
			got[i] += n
		}
	}
	var sum uint64
	for _, n := range got {
		sum += n
	}
	if sum != uint64(conns) {
		t.Fatalf("%s: %d active connections, want %d (drops %v)", sched, sum, conns, f.eng.Counters().Drops)
	}
	return got, per
}
