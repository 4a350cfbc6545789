// Package snapshot defines the immutable configuration that the control
// plane compiles and the workers read: services, real servers with their
// next hops, and conntrack timeouts.
//
// A [Snapshot] is built once by [Build], published with an atomic pointer
// and never modified afterwards, so workers read it without locks. Service
// and destination identifiers are stable slots chosen by the control plane:
// a connection keeps pointing at its destination across snapshots, and a
// destination that was deleted stays in the snapshot, marked unavailable,
// while connections may still refer to it (IPVS keeps such destinations in
// its trash list for the same reason).
package snapshot
