// Package perf holds the benchmark side of xlvs: the packet generator
// xlvs-pktgen, the side-by-side throughput harness (make bench) and the
// recorded results in perf/results. Today it holds the results of the Go
// micro-benchmarks; the generator and harness come with their own issue.
package perf
