// Package tap implements the TAP device through which xlvsd's workers hand
// the packets of local-node real servers back to the director's own
// network stack: a multi-queue TAP device, one queue (file descriptor) per
// worker, each a [port.Local].
//
// A frame written to a TAP device is received by the kernel as if it had
// arrived on that interface, so a frame addressed to the device's MAC
// address goes up the stack and, when its destination IP address is one
// of the director's, to the local socket. The device is not persistent: it
// disappears when the last descriptor is closed, also when the process
// dies.
//
// Concurrency: [Create] and [Device.Close] are for the control path; each
// [Queue] is owned by one worker (a write per frame, no locks, no
// allocations).
package tap
