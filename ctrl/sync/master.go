package sync

import (
	"net"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
)

// drainBatch is how many connections a master takes from the dataplane
// at a time.
const drainBatch = 256

// master is a running master sync daemon: every SendDelay it drains the
// dataplane's export rings into messages of at most sync_maxlen bytes,
// sends a message as soon as it is full, and a partly filled one once it
// is FlushTime old (the kernel's IPVS_SYNC_FLUSH_TIME).
type master struct {
	cfg   api.Daemon
	dp    Dataplane
	st    *stats
	opts  Options
	conn  net.PacketConn
	dst   net.Addr
	b     *Builder
	first time.Time // when the message being filled got its first entry
	done  chan struct{}
	ended chan struct{}
}

func (m *master) run() {
	defer close(m.ended)
	t := time.NewTicker(m.opts.SendDelay)
	defer t.Stop()
	buf := make([]engine.SyncConn, drainBatch)
	for {
		select {
		case <-m.done:
			m.drain(buf)
			m.send()
			return
		case <-t.C:
		}
		m.drain(buf)
		if m.b.Count() > 0 && time.Since(m.first) >= m.opts.FlushTime {
			m.send()
		}
	}
}

// drain empties the export rings into messages.
func (m *master) drain(buf []engine.SyncConn) {
	for {
		n := m.dp.DrainSync(buf)
		for i := 0; i < n; i++ {
			m.add(&buf[i])
		}
		if n < len(buf) {
			return
		}
	}
}

func (m *master) add(e *engine.SyncConn) {
	var c Conn
	if !toWire(e, &c) {
		m.st.inc("sync-conns-unsendable")
		return
	}
	if !m.b.Fits(&c) {
		m.send()
	}
	if m.b.Count() == 0 {
		m.first = time.Now()
	}
	if err := m.b.Add(&c); err != nil {
		m.st.inc("sync-conns-unsendable")
	}
}

// send sends the message being filled, if any, and starts the next.
func (m *master) send() {
	if m.b.Count() == 0 {
		return
	}
	if _, err := m.conn.WriteTo(m.b.Bytes(), m.dst); err != nil {
		m.st.inc("sync-send-errors")
	} else {
		m.st.inc("sync-msgs-sent")
		m.st.add("sync-conns-sent", uint64(m.b.Count()))
	}
	m.b.Reset()
}

func (m *master) stop() {
	close(m.done)
	<-m.ended
	m.conn.Close()
}
