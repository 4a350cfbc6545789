package engine

import (
	"bytes"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/port/memport"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

var localMAC = testpkt.MAC("02:00:00:00:00:fe")

// localFixture is the standard fixture whose TCP vip4:80 service has rs1
// and, as its second real server, the director itself (MethodLocal, no
// next hop); every worker has a memport.Local unless noLocal.
func localFixture(t *testing.T, workers int, noLocal bool) (*fixture, []*memport.Local) {
	f := newFixture(t, workers, "rr")
	f.dests[1].Method = snapshot.MethodLocal
	f.dests[1].NextHop = snapshot.NextHop{}
	f.publish()
	var locals []*memport.Local
	ports := make([]port.Local, workers)
	for i := range ports {
		l := &memport.Local{Addr: localMAC}
		locals = append(locals, l)
		if !noLocal {
			ports[i] = l
		}
	}
	if err := f.eng.SetLocal(ports); err != nil {
		t.Fatal(err)
	}
	return f, locals
}

func takeLocal(locals []*memport.Local) [][]byte {
	var out [][]byte
	for _, l := range locals {
		out = append(out, l.Take()...)
	}
	return out
}

// Under rr, connections alternate between the remote real server (DR) and
// the director's own stack; local frames keep their IP packet and carry
// the local port's MAC, later packets of a local connection follow it, and
// the counters see them.
func TestLocalNodeDeliversToLocalStack(t *testing.T) {
	f, locals := localFixture(t, 1, false)
	var remote, local int
	var sentLocal [][]byte
	var in [][]byte
	for i := 0; i < 4; i++ {
		fr := syn(client(i), uint16(1000+i), vip4)
		in = append(in, fr)
		f.inject(0, fr)
		f.poll(1)
		out, loc := f.sent(), takeLocal(locals)
		switch {
		case len(out) == 1 && len(loc) == 0 && dstMAC(out[0].Frame) == rs1MAC:
			remote++
		case len(out) == 0 && len(loc) == 1:
			local++
			sentLocal = append(sentLocal, loc[0])
			if dstMAC(loc[0]) != localMAC || !bytes.Equal(loc[0][6:], fr[6:]) {
				t.Errorf("local frame %x, want the received frame %x with destination MAC %x", loc[0], fr, localMAC)
			}
		default:
			t.Fatalf("SYN %d: %d sent, %d local", i, len(out), len(loc))
		}
	}
	if remote != 2 || local != 2 {
		t.Fatalf("rr split %d remote, %d local; want 2 and 2", remote, local)
	}
	// The handshake's ACK of a local connection goes the same way.
	var c int
	for i := range in {
		if bytes.Equal(in[i][6:], sentLocal[0][6:]) {
			c = i
		}
	}
	f.inject(0, tcpFrame(client(c), uint16(1000+c), vip4, packet.TCPAck, []byte("hello")))
	f.poll(2)
	if out, loc := f.sent(), takeLocal(locals); len(out) != 0 || len(loc) != 1 {
		t.Fatalf("ACK of a local connection: %d sent, %d local", len(out), len(loc))
	}
	st := f.eng.DestStats(1)
	if st.Conns != 2 || st.InPkts != 3 || st.ActiveConns+st.InactConns != 2 {
		t.Errorf("local real server stats %+v: want 2 connections in the table, 2 created, 3 packets", st)
	}
	if c := f.eng.Counters(); c.TxPackets != 5 {
		t.Errorf("tx-packets %d, want 5 (2 DR, 3 local)", c.TxPackets)
	}
	f.checkFrames()
}

// A local-node packet without a local port, or refused by it, is counted
// and its frame freed.
func TestLocalNodeFailuresAreCounted(t *testing.T) {
	f, _ := localFixture(t, 1, true)
	f.dests[0].Weight = 0 // every connection to the local server
	f.publish()
	f.inject(0, syn(client(1), 1000, vip4))
	f.poll(1)
	if n := f.drops(verdict.NoLocalDevice); n != 1 {
		t.Errorf("no-local-port %d, want 1", n)
	}
	f.checkFrames()

	f2, locals := localFixture(t, 1, false)
	f2.dests[0].Weight = 0
	f2.publish()
	locals[0].Fail = true
	f2.inject(0, syn(client(1), 1000, vip4))
	f2.inject(0, syn(client(2), 1000, vip4))
	f2.poll(1)
	if n := f2.drops(verdict.LocalFailed); n != 2 {
		t.Errorf("local-delivery-failed %d, want 2", n)
	}
	if c := f2.eng.Counters(); c.TxPackets != 0 {
		t.Errorf("tx-packets %d, want 0", c.TxPackets)
	}
	f2.checkFrames()
}

// With two workers a local connection's packets are delivered by the
// worker that owns the flow, through its own local port, also when they
// arrive on the other worker's queue.
func TestLocalNodeDeliveredByOwner(t *testing.T) {
	f, locals := localFixture(t, 2, false)
	f.dests[0].Weight = 0
	f.publish()
	for i := 0; i < 20; i++ {
		c, sport := client(i), uint16(2000+i)
		owner := f.eng.Workers()[0].ownerOf(&f.eng.Snapshot().Services[0], ptr(c.As16()), sport)
		f.inject(i%2, syn(c, sport, vip4))
		f.poll(1)
		before := locals[owner].Delivered
		f.inject((i+1)%2, tcpFrame(c, sport, vip4, packet.TCPAck, nil))
		f.poll(2)
		if locals[owner].Delivered != before+1 || locals[1-owner].Delivered+locals[owner].Delivered != uint64(2*(i+1)) {
			t.Fatalf("flow %d: delivered %d/%d, want both packets by owner %d", i, locals[0].Delivered, locals[1].Delivered, owner)
		}
	}
	if c := f.eng.Counters(); c.HandoffOut == 0 {
		t.Error("no handoff: the test did not cross workers")
	}
	if got := len(takeLocal(locals)); got != 40 {
		t.Errorf("%d frames delivered, want 40", got)
	}
	f.checkFrames()
}

// A local connection in the table moves through the input-only states.
func TestLocalNodeConnectionStates(t *testing.T) {
	f, _ := localFixture(t, 1, false)
	f.dests[0].Weight = 0
	f.publish()
	f.inject(0, syn(client(1), 1000, vip4))
	f.inject(0, tcpFrame(client(1), 1000, vip4, packet.TCPAck, nil))
	f.inject(0, tcpFrame(client(1), 1000, vip4, packet.TCPAck|packet.TCPFin, nil))
	f.poll(1)
	w := f.eng.Workers()[0]
	k := conntrack.Key{Client: client(1).As16(), Virtual: vip4.As16(), CPort: 1000, VPort: 80, Proto: 6}
	idx, ok := w.ct.Lookup(&k, 1)
	if !ok {
		t.Fatal("no connection")
	}
	if st := w.ct.At(idx).State; st != conntrack.TCPNext(conntrack.StateEstablished, conntrack.DirInputOnly, packet.TCPAck|packet.TCPFin) {
		t.Errorf("state %v after SYN, ACK, FIN", st)
	}
}

// Local delivery allocates nothing.
func TestLocalNodeAllocatesNothing(t *testing.T) {
	f, locals := localFixture(t, 1, false)
	locals[0].Recycle = true
	f.ports[0].Recycle = true
	w := f.eng.Workers()[0]
	fr := syn(client(1), 1000, vip4)
	now := int64(1)
	run := 0
	allocs := testing.AllocsPerRun(200, func() {
		run++
		for i := 0; i < 8; i++ {
			fr[34], fr[35] = byte(run), byte(i)
			f.inject(0, fr)
		}
		now += 1e6
		w.Poll(now)
	})
	if allocs != 0 {
		t.Errorf("local delivery allocates %.1f times per batch, want 0", allocs)
	}
	if locals[0].Delivered < 200*4 {
		t.Fatalf("the test measured too little: %d delivered", locals[0].Delivered)
	}
}

// SetLocal wants one port per worker and a stopped engine.
func TestSetLocalChecks(t *testing.T) {
	f := newFixture(t, 2, "rr")
	if err := f.eng.SetLocal([]port.Local{&memport.Local{}}); err == nil {
		t.Error("one local port for two workers accepted")
	}
}
