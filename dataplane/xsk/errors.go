package xsk

import (
	"errors"
	"strconv"
)

// Errors returned by this package. Errors from system calls are wrapped
// with %w, so errors.Is(err, syscall.EBUSY) and the like also work.
var (
	// ErrInvalidOption matches (with errors.Is) every [OptionError].
	ErrInvalidOption = errors.New("xsk: invalid option")
	// ErrHugePages is returned by [NewUMEM] when HugePages is set and the
	// system has not enough free huge pages.
	ErrHugePages = errors.New("huge pages unavailable")
	// ErrZeroCopyUnsupported is returned by [UMEM.Bind] with
	// [ModeZeroCopy] when the driver cannot do zero-copy AF_XDP.
	ErrZeroCopyUnsupported = errors.New("zero-copy not supported by the driver")
	// ErrModeMismatch is returned by [UMEM.Bind] when a socket would join
	// a shared UMEM with a mode or need-wakeup setting different from the
	// sockets already bound to it (the kernel applies the first socket's).
	ErrModeMismatch = errors.New("xsk: socket options differ from the UMEM's first socket")
	// ErrQueueInUse is returned by [UMEM.Bind] when a socket of the same
	// UMEM is already bound to that interface and queue.
	ErrQueueInUse = errors.New("xsk: queue already bound by this UMEM")
	// ErrClosed is returned when binding on a closed UMEM.
	ErrClosed = errors.New("xsk: UMEM closed")
	// ErrKernel is returned when the kernel lacks a feature this package
	// needs (ring flags, Linux >= 5.4; shared UMEM across devices, 5.10).
	ErrKernel = errors.New("xsk: kernel lacks AF_XDP features")
)

// errDoubleFree is the panic value of [FrameStack.Push] on a full stack.
var errDoubleFree = errors.New("xsk: FrameStack.Push on a full stack: a frame was freed twice")

// OptionError reports an invalid field of [UMEMOptions] or
// [SocketOptions]. Its message reads like
// "xsk: invalid frame size 3000: must be 2048 or 4096".
type OptionError struct {
	// Option names the field in words, e.g. "frame size".
	Option string
	// Value is the rejected value as text.
	Value string
	// Reason says what the value must be.
	Reason string
}

// Error implements error.
func (e *OptionError) Error() string {
	return "xsk: invalid " + e.Option + " " + e.Value + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidOption].
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOption }

func invalid(option string, value int, reason string) error {
	return &OptionError{Option: option, Value: strconv.Itoa(value), Reason: reason}
}
