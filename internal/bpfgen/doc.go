// Package bpfgen implements the check that a package's committed bpf2go
// output is current: [CheckCurrent] runs every
// `//go:generate go tool bpf2go` directive of the package's gen.go into a
// temporary directory and compares each file it writes with the committed
// file of the same name, byte for byte.
//
// It is for tests of packages whose BPF objects are committed
// (dataplane/bpf, dataplane/decap, perf/pktgen, perf/fwd): call it from a
// test in the package's directory, which is where `go test` runs it.
//
// Concurrency: CheckCurrent keeps no state; tests of different packages
// may call it at the same time (each writes to its own temporary
// directory).
package bpfgen
