// Package bpfcounter implements the counters of the project's BPF programs
// as Go sees them: an enum in the C source indexes a per-CPU array of
// uint64, and each index has a metric-style name derived from the enum
// identifier. [Names] derives the names, [Read] sums a map over CPUs.
// Used by dataplane/bpf (the steering program's reasons) and
// dataplane/decap (the decapsulator's counters).
//
// Concurrency: Names and Read keep no state; Read may run while the
// program updates the map (each CPU's value is read once).
package bpfcounter
