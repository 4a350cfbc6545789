package xsk

import "golang.org/x/sys/unix"

// WaitRX blocks until the socket's RX ring has packets, an error is
// pending on the socket, or timeoutMs milliseconds pass (-1: no limit). An
// interrupted wait returns nil. In copy mode poll also sends what is on
// the TX ring. It does not allocate.
func (s *Socket) WaitRX(timeoutMs int) error {
	fds := [1]unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
	_, err := unix.Poll(fds[:], timeoutMs)
	if err == unix.EINTR {
		return nil
	}
	return err
}

// WakeRX asks the kernel to process the fill ring, which it needs when
// [FillQueue.NeedWakeup] is true and the worker does not poll:
// recvfrom(fd, nil, 0, MSG_DONTWAIT). It does not allocate.
func (s *Socket) WakeRX() error {
	_, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0, unix.EAGAIN, unix.EBUSY, unix.EINTR:
		return nil
	}
	return e
}

// pollStack is how many sockets [Poll] handles without allocating.
const pollStack = 16

// Poll blocks until an RX ring of socks has packets, an error is pending
// on one of them, or timeoutMs milliseconds pass (-1: no limit). An
// interrupted wait returns nil. In copy mode poll also sends what is on
// the TX rings. It does not allocate for up to 16 sockets; a worker with
// more, or that wants to know which socket is ready, uses a [Poller].
func Poll(socks []*Socket, timeoutMs int) error {
	var buf [pollStack]unix.PollFd
	fds := buf[:0]
	if len(socks) > pollStack {
		fds = make([]unix.PollFd, 0, len(socks))
	}
	for _, s := range socks {
		fds = append(fds, unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN})
	}
	_, err := unix.Poll(fds, timeoutMs)
	if err == unix.EINTR {
		return nil
	}
	return err
}

// Poller waits on the RX rings of several sockets at once: an idle
// worker's sleep. It is not safe for concurrent use; owned by one worker.
type Poller struct {
	fds []unix.PollFd
}

// NewPoller returns a Poller over socks.
func NewPoller(socks ...*Socket) *Poller {
	p := &Poller{fds: make([]unix.PollFd, len(socks))}
	for i, s := range socks {
		p.fds[i] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	}
	return p
}

// Wait blocks until an RX ring of the sockets has packets, an error is
// pending on one, or timeoutMs milliseconds pass (-1: no limit), and
// returns how many sockets are ready. An interrupted wait returns 0, nil.
// It does not allocate.
func (p *Poller) Wait(timeoutMs int) (int, error) {
	for i := range p.fds {
		p.fds[i].Revents = 0
	}
	n, err := unix.Poll(p.fds, timeoutMs)
	if err == unix.EINTR {
		return 0, nil
	}
	return n, err
}

// Ready reports whether the i-th socket (in NewPoller's order) was ready
// at the last Wait.
func (p *Poller) Ready(i int) bool { return p.fds[i].Revents != 0 }
