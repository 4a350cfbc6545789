// Package fakedp implements a fake dataplane for control-plane tests: a
// [Plane] answers what ctrl/model reads from the engine — per-slot
// counters (model.Stats: DestStats, ServiceStats) and the connection
// listing (model.ConnLister: ListConns) — from counters and connections
// the test injects, and records the snapshots the model publishes so that
// a test can name a real server by its address instead of its slot.
//
// Counters behave as the workers' do: [Plane.Add] counts traffic for a
// real server and for its service at once, so a service keeps its totals
// when a real server is deleted, and nothing ever goes down unless the
// test sets it with [Plane.SetDest] or [Plane.SetService].
//
// Concurrency: a Plane is safe for concurrent use; the model may read it
// while a test changes it.
package fakedp
