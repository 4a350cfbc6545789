// Package sched implements the IPVS connection schedulers under the names
// ipvsadm uses (rr, wrr, lc, wlc, sed, nq, fo, ovf, twos, sh, dh, mh, lblc,
// lblcr), with the Linux kernel's semantics: the same candidate order, the
// same tie-breaking, the same treatment of quiesced (weight 0) and
// overloaded real servers, and for the hashing schedulers the same hash
// functions and table construction as net/netfilter/ipvs/ip_vs_*.c.
//
// # Model
//
// A service's real servers are a []Dest owned by the caller (a worker). The
// slice order is the kernel's svc->destinations order: every scheduler
// walks it front to back and breaks ties in favour of the earlier entry.
// (The kernel adds a new destination at the head of that list, so a caller
// that wants bit-for-bit kernel behaviour orders real servers newest
// first.) A Dest without [FlagAvailable] is treated as absent from the
// service, as the kernel's trash list is.
//
// A [Factory] builds a [Scheduler] for one service from the current
// destinations and the service's scheduler flags; the caller builds a new
// one whenever the set of destinations, their weights or the flags change
// (dpvs re-initialises its schedulers the same way). Between rebuilds the
// caller keeps the connection counts and the overload flag of each Dest
// current, using [UpdateOverload] for the kernel's threshold hysteresis.
// Schedulers are registered by name with [Register] and found with
// [Lookup]; all built-in schedulers register themselves at init.
//
// # Concurrency
//
// Register, Lookup and Names are safe for concurrent use. A Scheduler is
// not: each worker owns its own instances and passes its own []Dest.
// [Scheduler.Pick] allocates nothing, takes no locks and uses no maps.
//
// The package imports only the standard library.
package sched
