package xsk

import (
	"strconv"
	"time"
)

// Limits of the options, beyond what the kernel itself checks.
const (
	// MaxFrameCount is the largest UMEM, in frames.
	MaxFrameCount = 1 << 24
	// MaxRingSize is the largest ring, in entries.
	MaxRingSize = 1 << 22
	// minTXBudget is the kernel's smallest XDP_MAX_TX_SKB_BUDGET.
	minTXBudget = 32
)

// UMEMOptions configure [NewUMEM].
type UMEMOptions struct {
	// FrameSize is the size of one frame (chunk): 2048 or 4096 bytes.
	FrameSize int
	// FrameCount is the number of frames, 1..MaxFrameCount.
	FrameCount int
	// HugePages backs the UMEM with huge pages (MAP_HUGETLB), which must
	// have been reserved (/proc/sys/vm/nr_hugepages); [NewUMEM] fails
	// with [ErrHugePages] otherwise.
	HugePages bool
}

// DefaultUMEMOptions returns 4096 frames of 2048 bytes (8 MiB), without
// huge pages.
func DefaultUMEMOptions() UMEMOptions {
	return UMEMOptions{FrameSize: 2048, FrameCount: 4096}
}

// Validate reports the first invalid field of o as an [*OptionError].
func (o UMEMOptions) Validate() error {
	if o.FrameSize != 2048 && o.FrameSize != 4096 {
		return invalid("frame size", o.FrameSize, "must be 2048 or 4096")
	}
	if o.FrameCount <= 0 {
		return invalid("frame count", o.FrameCount, "must be positive")
	}
	if o.FrameCount > MaxFrameCount {
		return invalid("frame count", o.FrameCount, "must be at most "+strconv.Itoa(MaxFrameCount))
	}
	return nil
}

// Mode selects how a socket moves frames between the driver and the UMEM.
type Mode uint8

// Modes of [SocketOptions].
const (
	// ModeAuto uses zero-copy where the driver supports it and copy mode
	// otherwise.
	ModeAuto Mode = iota
	// ModeCopy forces copy mode (XDP_COPY), which works on every device.
	ModeCopy
	// ModeZeroCopy requires zero-copy (XDP_ZEROCOPY); binding fails with
	// [ErrZeroCopyUnsupported] where the driver lacks it.
	ModeZeroCopy
)

// String returns "auto", "copy" or "zero-copy".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeCopy:
		return "copy"
	case ModeZeroCopy:
		return "zero-copy"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// SocketOptions configure [UMEM.Bind].
type SocketOptions struct {
	// FillSize and CompletionSize are the entries of the socket's fill
	// and completion rings: powers of two.
	FillSize, CompletionSize int
	// RXSize and TXSize are the entries of the RX and TX rings: powers of
	// two, or 0 for a socket that only transmits (RXSize 0) or only
	// receives (TXSize 0). At least one must be set.
	RXSize, TXSize int
	// Mode selects zero-copy or copy mode.
	Mode Mode
	// NeedWakeup binds with XDP_USE_NEED_WAKEUP: the kernel flags the
	// fill and TX rings when it needs a system call to make progress,
	// and [TXQueue.Kick] skips the call otherwise.
	NeedWakeup bool
	// BusyPoll sets SO_PREFER_BUSY_POLL, SO_BUSY_POLL (BusyPollUsecs)
	// and SO_BUSY_POLL_BUDGET (BusyPollBudget) on the socket.
	BusyPoll bool
	// BusyPollUsecs is the busy-poll time in microseconds; > 0 when
	// BusyPoll is set.
	BusyPollUsecs int
	// BusyPollBudget is the packets per busy-poll run, 1..65535 when
	// BusyPoll is set.
	BusyPollBudget int
	// TXBudget, when not 0, sets XDP_MAX_TX_SKB_BUDGET: the frames one
	// copy-mode [TXQueue.Kick] sends at most (kernel default 32; allowed
	// 32..TXSize; needs Linux 6.17).
	TXBudget int
	// BusyRetry is how long Bind keeps retrying while the kernel reports
	// the queue busy (EBUSY), which it does after a socket on that queue
	// was closed until its deferred release has run: typically 10-20 ms,
	// longer on a loaded machine. 0 disables retrying.
	BusyRetry time.Duration
}

// DefaultSocketOptions returns 2048-entry rings, [ModeAuto], NeedWakeup,
// busy polling off (with 20 µs and budget 64 ready for BusyPoll=true), the
// kernel's TX budget, and up to a second of EBUSY retries.
func DefaultSocketOptions() SocketOptions {
	return SocketOptions{
		FillSize:       2048,
		CompletionSize: 2048,
		RXSize:         2048,
		TXSize:         2048,
		Mode:           ModeAuto,
		NeedWakeup:     true,
		BusyPollUsecs:  20,
		BusyPollBudget: 64,
		BusyRetry:      time.Second,
	}
}

// Validate reports the first invalid field of o as an [*OptionError].
func (o SocketOptions) Validate() error {
	if err := ringSize("fill ring size", o.FillSize, false); err != nil {
		return err
	}
	if err := ringSize("completion ring size", o.CompletionSize, false); err != nil {
		return err
	}
	if err := ringSize("RX ring size", o.RXSize, true); err != nil {
		return err
	}
	if err := ringSize("TX ring size", o.TXSize, true); err != nil {
		return err
	}
	if o.RXSize == 0 && o.TXSize == 0 {
		return invalid("RX and TX ring sizes", 0, "at least one must be set")
	}
	if o.Mode > ModeZeroCopy {
		return invalid("mode", int(o.Mode), "must be ModeAuto, ModeCopy or ModeZeroCopy")
	}
	if o.BusyPollUsecs < 0 || o.BusyPoll && o.BusyPollUsecs == 0 {
		return invalid("busy-poll time", o.BusyPollUsecs, "must be a positive number of microseconds")
	}
	if o.BusyPollBudget < 0 || o.BusyPollBudget > 65535 || o.BusyPoll && o.BusyPollBudget == 0 {
		return invalid("busy-poll budget", o.BusyPollBudget, "must be between 1 and 65535")
	}
	if o.TXBudget != 0 && (o.TXBudget < minTXBudget || o.TXBudget > o.TXSize) {
		return invalid("TX budget", o.TXBudget, "must be 0 or between 32 and the TX ring size "+strconv.Itoa(o.TXSize))
	}
	if o.BusyRetry < 0 {
		return &OptionError{Option: "busy retry", Value: o.BusyRetry.String(), Reason: "must not be negative"}
	}
	return nil
}

func ringSize(name string, n int, zeroOK bool) error {
	switch {
	case n == 0 && zeroOK:
		return nil
	case n <= 0 || n&(n-1) != 0:
		return invalid(name, n, "must be a power of two")
	case n > MaxRingSize:
		return invalid(name, n, "must be at most "+strconv.Itoa(MaxRingSize))
	}
	return nil
}
