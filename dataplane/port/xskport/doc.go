// Package xskport implements [port.Port] on AF_XDP sockets: one socket per
// served interface, all bound to the same queue and sharing one UMEM, so a
// frame received on one interface is transmitted on another in place.
//
// Concurrency: a Port is owned by one worker's goroutine and is not safe
// for concurrent use; ports of different queues are independent.
package xskport
