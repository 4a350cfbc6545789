// Package xsk implements AF_XDP sockets on golang.org/x/sys/unix: a UMEM
// (the frame memory shared with the kernel), its fill and completion
// rings, the RX and TX rings of each socket, and a free-frame stack.
//
// # Role
//
// A worker of the data plane owns one [UMEM] and binds one [Socket] per
// interface it serves (queue q of every interface). All those sockets share
// the UMEM (XDP_SHARED_UMEM), each with its own fill and completion rings,
// so a frame received on one interface is rewritten in place and put on the
// TX ring of another interface without being copied. A [FrameStack] holds
// the frames that are in none of the rings.
//
// # Frame accounting
//
// Every frame of a UMEM is, at any time, in exactly one place: the worker's
// [FrameStack], a fill ring, an RX ring, a TX ring, a completion ring, the
// kernel (between rings), or the worker's hands (a batch being processed).
// Each ring reports the entries it currently holds with Len, so once traffic
// has stopped and the kernel has settled,
//
//	stack.Len() + Σ(fill.Len() + rx.Len() + tx.Len() + completion.Len()) == umem.FrameCount()
//
// The one exception: when the kernel drops a packet because the RX ring is
// full ([Statistics].RXRingFull), it keeps the frame it had taken from the
// fill ring on a private free list and uses it for a later packet. So the
// sum may fall short of FrameCount only on a socket whose RXRingFull is
// not zero; anywhere else a shortfall is a leak and an excess a double
// free.
//
// # Modes
//
// [ModeAuto] lets the kernel use zero-copy where the driver supports it and
// copy mode otherwise; [Socket.ZeroCopy] reports the result and the hook set
// by [SetCopyModeHook] is told once per interface that runs in copy mode.
// Sockets sharing a UMEM all run in the mode of the first one bound.
//
// # Concurrency
//
// [UMEM.Bind], [Socket.Close] and [UMEM.Close] are control-path calls, safe
// for concurrent use. The rings ([FillQueue], [CompletionQueue],
// [RXQueue], [TXQueue]), [FrameStack] and [UMEM.Frame] are the hot path:
// they are not safe for concurrent use, never allocate, and belong to the
// one worker goroutine that owns the UMEM. Close a socket or a UMEM only
// after that worker has stopped using it.
//
// All mmap and unsafe code lives in files named *_unsafe.go.
package xsk
