// Package perf holds the benchmark side of xlvs: the packet generator
// xlvs-pktgen (perf/pktgen, its CLI in perf/pktgen/cli), the reference
// forwarders (perf/fwd), the side-by-side throughput harness (perf/bench,
// `make bench`), the Go micro-benchmark collector (perf/micro,
// `make bench-micro`) and the recorded results in perf/results.
package perf
