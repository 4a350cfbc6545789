package sync

import (
	"errors"
	"net"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// backup is a running backup sync daemon: it reads messages of at most
// sync_maxlen bytes from the group, drops malformed ones and those of
// another sync id, and hands each connection to the dataplane.
type backup struct {
	cfg   api.Daemon
	dp    Dataplane
	st    *stats
	conn  *net.UDPConn
	ended chan struct{}
}

func (b *backup) run() {
	defer close(b.ended)
	buf := make([]byte, max(int(b.cfg.SyncMaxLen), HeaderLen))
	var msg Message
	for {
		n, _, err := b.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			b.st.inc("sync-receive-errors")
			continue
		}
		b.st.inc("sync-msgs-received")
		b.handle(buf[:n], &msg)
	}
}

// handle applies one datagram.
func (b *backup) handle(p []byte, msg *Message) {
	err := Decode(p, b.cfg.SyncID, msg)
	if err != nil {
		b.st.inc("sync-msgs-dropped-" + decodeReason(err))
	}
	b.st.add("sync-conns-skipped-option", uint64(msg.Skipped))
	var e engine.SyncConn
	for i := range msg.Conns {
		b.st.inc("sync-conns-received")
		if why := fromWire(&msg.Conns[i], &e); why != "" {
			b.st.inc("sync-conns-skipped-" + why)
			continue
		}
		b.st.inc("sync-import-" + b.dp.ImportSync(&e).String())
	}
}

func (b *backup) stop() {
	b.conn.Close()
	<-b.ended
}
