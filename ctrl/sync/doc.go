// Package sync implements IPVS connection synchronisation (the kernel's
// ip_vs_sync.c sync daemon) for xlvsd: the wire format of sync messages
// (version 1, and version 0 for decoding), a master that sends the
// dataplane's connections to a UDP multicast group, a backup that receives
// them and hands them to the dataplane, and a [Manager] that runs at most
// one of each, as ipvsadm --start-daemon and --stop-daemon ask.
//
// The format is byte-exact with Linux's, so an xlvs director and a kernel
// IPVS director can back each other up: a keepalived VRRP pair fails over
// without breaking established connections.
//
// Concurrency contract: [Encode]-side [Builder] values and [Decode] are
// not safe for concurrent use on one value, and allocate only what they
// return. A Manager is safe for concurrent use; each daemon it runs is one
// goroutine that owns its socket. The dataplane is reached only through
// [Dataplane], whose methods never block a worker.
package sync
