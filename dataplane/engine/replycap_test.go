package engine

import (
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

func TestReplyCapacityResolves(t *testing.T) {
	for _, c := range []struct{ conns, replies, want int }{
		{1 << 20, 0, 1 << 18}, {1000, -1, 0}, {1000, 10, 10}, {1000, 5000, 1000},
	} {
		cfg := Config{ConnCapacity: c.conns, ReplyCapacity: c.replies}
		if got := cfg.replyCapacity(); got != c.want {
			t.Errorf("ConnCapacity %d ReplyCapacity %d: %d reply records, want %d", c.conns, c.replies, got, c.want)
		}
	}
}

// TestNATReplyTableFull: a NAT connection that finds every reply record
// taken is refused and counted (reply-table-full), not forwarded without
// a way back; once a connection is gone, its record serves a new one.
func TestNATReplyTableFull(t *testing.T) {
	f := newTwoArmed(t, 1, snapshot.MethodMasq, 0)
	w := f.eng.Workers()[0]
	w.ct = conntrack.NewWithReplies(1<<10, 2, 1)
	for i := 0; i < 3; i++ {
		f.injectOn(0, linkClient, fromClient(client(i), vip4).UDP(4000, 53).Payload([]byte("q")).Bytes())
	}
	f.poll(1)
	if n := len(f.sent()); n != 2 || f.drops(verdict.ReplyTableFull) != 1 {
		t.Fatalf("sent %d, reply-table-full %d; want 2 and 1", n, f.drops(verdict.ReplyTableFull))
	}
	// The refused client's connection expires (no reply record held);
	// after the others expire too, a new client gets through.
	f.poll(400e9)
	f.injectOn(0, linkClient, fromClient(client(9), vip4).UDP(4000, 53).Payload([]byte("q")).Bytes())
	f.poll(400e9 + 1)
	if n := len(f.sent()); n != 1 || f.drops(verdict.ReplyTableFull) != 1 {
		t.Fatalf("after expiry: sent %d, reply-table-full %d; want 1 and still 1", n, f.drops(verdict.ReplyTableFull))
	}
	f.checkFrames()
}
