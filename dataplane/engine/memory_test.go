package engine

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/internal/bigmem"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// settledRSS returns the process's resident set size (/proc/self/statm)
// after a collection that gave free heap back to the kernel.
func settledRSS(t testing.TB) int {
	n, err := bigmem.SettledRSS()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDRMemoryPerConnection is the memory per connection of a DR worker
// as the operator sees it (RSS): a worker with --conn-max 2^20 receives
// the first packets of 1,000,000 UDP flows and holds them all, and the
// process grows by at most 64 bytes per connection, the engine's own
// per-connection arrays (persistence links, sync counts) included.
func TestDRMemoryPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a million connections")
	}
	const flows, limit = 1_000_000, 64
	saved := fixtureCapacity
	fixtureCapacity = 1 << 20
	defer func() { fixtureCapacity = saved }()
	f := newFixture(t, 1, "rr")
	p := f.ports[0]
	p.Recycle = true
	w := f.eng.Workers()[0]
	tmpl := testpkt.Eth(clientMAC, dirMAC).IPv4(client(0), vip4).UDP(1024, 53).Payload(make([]byte, 18)).Bytes()
	const srcOff, sportOff = 14 + 12, 14 + 20 // Ethernet, IPv4 without options
	w.Poll(1)
	before := settledRSS(t)
	var d port.Desc
	for i := 0; i < flows; i += BatchSize {
		for k := 0; k < BatchSize && i+k < flows; k++ {
			n := i + k
			p.Alloc(&d)
			d.Len = uint32(copy(p.Buffer()[d.Addr:], tmpl))
			fr := p.Buffer()[d.Addr : d.Addr+uint64(d.Len)]
			a := netip.AddrFrom4([4]byte{198, 19 + byte(n>>20), byte(n >> 12), byte(n >> 4)})
			copy(fr[srcOff:srcOff+4], a.AsSlice())
			binary.BigEndian.PutUint16(fr[sportOff:], uint16(1024+n&15))
			p.InjectDesc(d)
		}
		w.Poll(1)
	}
	grown := settledRSS(t) - before
	if got := w.ct.Len(); got != flows {
		t.Fatalf("%d connections after %d new flows, want all of them", got, flows)
	}
	if c := f.eng.Counters(); c.TxPackets != flows {
		t.Fatalf("forwarded %d of %d first packets; drops %v", c.TxPackets, flows, c.Drops)
	}
	per := float64(grown) / flows
	t.Logf("RSS growth %.1f B/conn over %d connections (table reserves %.1f B per connection of capacity)",
		per, flows, float64(w.ct.Bytes())/float64(w.ct.Cap()))
	if per > limit {
		t.Errorf("a DR worker grows by %.1f B per connection, want at most %d", per, limit)
	}
	if per < 48 { // the entries alone are 48 bytes
		t.Errorf("%.1f B per connection: less than the entries, the measurement missed the table", per)
	}
}
