package xsk

import "golang.org/x/sys/unix"

// TXQueue is a socket's TX ring: the worker produces packets to send on
// it, and the kernel consumes them, later reporting each frame on the
// socket's [CompletionQueue].
//
// TXQueue is not safe for concurrent use; owned by one worker.
type TXQueue struct {
	r          ring
	descs      []Desc
	fd         int
	needWakeup bool
}

// Size returns the number of entries of the ring (0 for a socket bound
// without TX ring).
func (q *TXQueue) Size() int { return int(q.r.size) }

// Len returns the number of packets on the ring that the kernel has not
// yet taken.
func (q *TXQueue) Len() int { return q.r.producedLen() }

// Free returns the number of entries that can be produced now.
func (q *TXQueue) Free() int { return int(q.r.reserve(q.r.size)) }

// Transmit enqueues up to len(descs) packets, in order, and returns how
// many it enqueued: descs[:n] now belong to the kernel, descs[n:] stay the
// caller's. A packet must not cross the end of its frame. Call [Kick] to
// make the kernel send them.
//
// [Kick]: TXQueue.Kick
func (q *TXQueue) Transmit(descs []Desc) int {
	n := q.r.reserve(uint32(len(descs)))
	if n == 0 {
		return 0
	}
	prod := q.r.cachedProd
	for i := range n {
		q.descs[(prod+i)&q.r.mask] = descs[i]
	}
	q.r.submit(n)
	return int(n)
}

// NeedWakeup reports whether the kernel asks for a system call to send
// what is on the ring. Without SocketOptions.NeedWakeup it is always true.
func (q *TXQueue) NeedWakeup() bool { return !q.needWakeup || q.r.needWakeup() }

// maxKicks bounds the sendto calls of one Kick.
const maxKicks = 8

// Kick asks the kernel to send what is on the ring, with
// sendto(fd, nil, 0, MSG_DONTWAIT), when the ring is not empty and the
// kernel needs the call. In copy mode one call sends at most
// SocketOptions.TXBudget packets (32 by default) and then fails with
// EAGAIN, so Kick calls again while the ring shrinks, up to 8 calls. It
// stops, returning nil, when the kernel makes no progress or says to try
// later (EAGAIN, EBUSY, ENOBUFS): a full completion ring, a busy device.
// Call it once per batch and consume the completion ring. Other errors
// (ENETDOWN, ENXIO) are returned as syscall.Errno values, without
// allocating.
func (q *TXQueue) Kick() error {
	for range maxKicks {
		n := q.Len()
		if n == 0 || !q.NeedWakeup() {
			return nil
		}
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(q.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case unix.EAGAIN:
			if q.Len() < n {
				continue // budget spent with progress: more to send
			}
			return nil
		case 0, unix.EBUSY, unix.ENOBUFS:
			return nil
		}
		return e
	}
	return nil
}
