// Package engine runs the fast path: one worker per queue, each serving
// that queue on every configured interface through a [port.Port], running
// every frame to completion (parse → service lookup → flow owner →
// connection lookup or scheduling → rewrite → transmit) on batches.
//
// Concurrency contract: a [Worker] owns its port, its connection table, its
// scheduler instances and its counters; nothing else writes them. The
// control plane publishes an immutable [snapshot.Snapshot] with
// [Engine.Publish]; each worker loads it once per batch. Counters are
// written only by their worker (atomic stores, no read-modify-write
// contention) and summed by readers. Frames a worker receives for a flow
// owned by another worker cross through a bounded SPSC [handoff.Ring], one
// per ordered pair of workers.
//
// The per-packet path allocates nothing, takes no locks, logs nothing and
// uses no maps; tests guard it with testing.AllocsPerRun.
package engine
