// Package fakedp implements a fake dataplane for control-plane tests: a
// [Plane] answers what ctrl/model reads from the engine — per-slot
// counters (model.Stats: DestStats, ServiceStats), rates (model.Rates:
// ServiceRates, DestRates) and the connection listing (model.ConnLister:
// ListConns) — from counters, rates and connections the test injects, and
// records the snapshots the model publishes so that a test can name a
// service (by address or firewall mark) and a real server by address
// instead of by slot.
//
// Counters behave as the workers' do: [Plane.Add] counts traffic for a
// real server and for its service at once, so a service keeps its totals
// when a real server is deleted, and nothing ever goes down unless the
// test sets it with [Plane.SetDest] or [Plane.SetService].
//
// Concurrency: a Plane is safe for concurrent use; the model may read it
// while a test changes it.
package fakedp
