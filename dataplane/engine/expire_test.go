package engine

import (
	"testing"

	"github.com/xlvs/xlvs/internal/testpkt"
)

// TestExpireSlots checks the sweep budget: full and empty batches scan
// expireBudget slots, partial ones expirePerFrame per frame with a floor.
func TestExpireSlots(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, expireBudget}, {BatchSize, expireBudget}, {2 * BatchSize, expireBudget},
		{1, expireMinBudget}, {4, expireMinBudget}, {8, 8 * expirePerFrame}, {BatchSize - 1, (BatchSize - 1) * expirePerFrame},
	} {
		if got := expireSlots(c.n); got != c.want {
			t.Errorf("expireSlots(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestExpiryKeepsUpWithSmallBatches opens 1000 UDP flows, lets them time
// out, then feeds the worker one frame of a new flow per batch: the old
// flows must all be reclaimed within the polls that the per-frame budget
// allows (1000 / expireMinBudget plus a sweep's wrap), while the new ones
// stay.
func TestExpiryKeepsUpWithSmallBatches(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.ports[0].Recycle = true // transmitted frames go back to the pool
	udp := func(i int) []byte {
		return testpkt.Eth(clientMAC, dirMAC).IPv4(client(i), vip4).UDP(uint16(1024+i%7), 53).Payload([]byte("q")).Bytes()
	}
	const old = 1000
	for i := 0; i < old; i++ {
		f.inject(0, udp(i))
		if i%BatchSize == BatchSize-1 {
			f.poll(1)
		}
	}
	f.poll(1)
	if got := f.eng.Counters().Conns; got != old {
		t.Fatalf("%d connections, want %d", got, old)
	}
	later := int64(1) + 301e9 // past the UDP timeout (300 s)
	polls := old/expireMinBudget + 2
	for i := 0; i < polls; i++ {
		f.inject(0, udp(old+i))
		f.poll(later)
	}
	c := f.eng.Counters()
	if c.ConnsExpired != old || c.Conns != uint64(polls) {
		t.Errorf("after %d one-frame batches: %d expired, %d live; want %d expired, %d live (the new flows)",
			polls, c.ConnsExpired, c.Conns, old, polls)
	}
}
