package conntrack_test

import (
	"fmt"

	"github.com/xlvs/xlvs/dataplane/conntrack"
)

// A worker's use of its table: look the flow up, insert it on a miss,
// advance the TCP state and re-arm the timer on every packet, and reclaim
// expired connections a slice at a time.
func Example() {
	timeouts := conntrack.DefaultTimeouts()
	ct := conntrack.New(1024, 0x5eed)
	key := conntrack.Key{CPort: 40000, VPort: 80, Proto: 6}
	copy(key.Client[10:], []byte{0xff, 0xff, 198, 18, 0, 1})
	copy(key.Virtual[10:], []byte{0xff, 0xff, 198, 19, 0, 1})

	packet := func(now int64, flags uint8) {
		idx, ok := ct.Lookup(&key, now)
		if !ok {
			if idx, ok = ct.Insert(&key, now); !ok {
				return // full: drop
			}
			ct.At(idx).Dest = 3 // the scheduled real server
		}
		e := ct.At(idx)
		e.State = conntrack.TCPNext(e.State, conntrack.DirInputOnly, flags)
		ct.Touch(idx, now, timeouts[e.State])
		fmt.Printf("%-11s active=%v expires in %ds\n", e.State, e.State.Active(), (e.Expires-now)/1e9)
	}
	const s = int64(1e9)
	packet(1*s, conntrack.TCPSyn)
	packet(2*s, conntrack.TCPAck)
	packet(3*s, conntrack.TCPFin|conntrack.TCPAck)

	var expired [256]conntrack.Record
	n := ct.ExpireInto(200*s, 256, expired[:])
	fmt.Println("expired:", n, "dest", expired[0].Entry.Dest, "state", expired[0].Entry.State, "left:", ct.Len())
	// Output:
	// SYN_RECV    active=true expires in 60s
	// ESTABLISHED active=true expires in 900s
	// FIN_WAIT    active=false expires in 120s
	// expired: 1 dest 3 state FIN_WAIT left: 0
}
