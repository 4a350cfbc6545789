// Package verdict defines what the per-packet path decides for a frame:
// a [Verdict] and, for drops, one [DropReason]. The hot path never returns
// errors; it counts one reason per dropped packet.
//
// The package is a leaf: it imports nothing from the project.
//
// Concurrency: the package holds only constants and pure functions, safe
// from any goroutine.
package verdict
