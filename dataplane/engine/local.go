package engine

import (
	"errors"

	"github.com/xlvs/xlvs/dataplane/port"
	"github.com/xlvs/xlvs/dataplane/verdict"
)

// Local-node real servers, as IPVS forwards to a real server that is the
// director itself (IP_VS_CONN_F_LOCALNODE, ipvsadm's "Local").
//
// IPVS lets such a packet go on up the director's stack. AF_XDP took it
// away from the stack, so a worker gives it back through a port.Local —
// in xlvsd a TAP device, one queue per worker. The frame is left as it
// came, IP packet untouched (the VIP stays the destination, as IPVS does
// not rewrite it either), its destination MAC set to the device's so the
// kernel takes it as its own; the kernel then delivers it to the socket
// listening on the VIP, which must be an address of the director. Replies
// leave through the kernel's routing as the director's own traffic and
// never reach the workers. The connection moves through IPVS's input-only
// TCP states, as DR connections do (IPVS does not see a local server's
// replies either).
//
// The frames of a batch are queued (verdict.Local) and handed over
// together after the batch's transmissions, then freed; a frame the stack
// refuses is counted as local-delivery-failed, a local-node packet on a
// worker without a local port as no-local-port. Delivered frames count as
// transmitted (tx-packets, tx-bytes).

// localState is the local-node part of a Worker.
type localState struct {
	lp     port.Local
	lmac   [6]byte
	lq     [BatchSize * 2]port.Desc // the batch's frames for the local stack
	nlocal int
}

// Errors of SetLocal.
var (
	ErrRunning    = errors.New("engine is running")
	ErrLocalPorts = errors.New("SetLocal needs one local port per worker")
)

// SetLocal gives worker i the local port ports[i] (nil: none), through
// which it delivers the packets of local-node real servers. Call it before
// Start.
func (e *Engine) SetLocal(ports []port.Local) error {
	if e.running.Load() {
		return ErrRunning
	}
	if len(ports) != len(e.workers) {
		return ErrLocalPorts
	}
	for i, w := range e.workers {
		w.lp = ports[i]
		if w.lp != nil {
			w.lmac = w.lp.MAC()
		}
	}
	return nil
}

// xmitLocal sends a frame of a local-node real server's connection to the
// director's own stack.
func (w *Worker) xmitLocal(frame []byte) (int, verdict.Verdict) {
	if w.lp == nil {
		return w.dropped(verdict.NoLocalDevice)
	}
	copy(frame[0:6], w.lmac[:])
	return 0, verdict.Local
}

// queueLocal keeps a frame for the local stack until the end of the batch.
func (w *Worker) queueLocal(d *port.Desc) {
	w.lq[w.nlocal] = *d
	w.nlocal++
}

// flushLocal hands the batch's frames to the local stack and frees them.
func (w *Worker) flushLocal() {
	if w.nlocal == 0 {
		return
	}
	q := w.lq[:w.nlocal]
	n := w.lp.Deliver(w.buf, q)
	for i := range q[:n] {
		w.c.txPackets.inc()
		w.c.txBytes.add(uint64(q[i].Len))
	}
	if n < len(q) {
		w.c.drops[verdict.LocalFailed].add(uint64(len(q) - n))
	}
	w.port.Free(q)
	w.nlocal = 0
}
