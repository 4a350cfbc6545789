// Package cli implements the xlvs-pktgen command: send (the generator, in
// live-frames or AF_XDP mode), sink (per-second counting with an XDP
// program), forward (the bare AF_XDP forwarder) and reflect (the kernel
// XDP forwarder). cmd/xlvs-pktgen is a thin main around [Main].
//
// Each command runs in the network namespace of the process (start it with
// `ip netns exec`). Live progress is printed once per second only when
// stdout is a terminal; --json prints a machine-readable summary.
//
// Concurrency: [Main] is meant to be called once per process; it installs
// SIGINT/SIGTERM handling.
package cli
