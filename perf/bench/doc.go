// Command bench is the side-by-side throughput harness of xlvs (`make
// bench`, as root). It builds generator → director → sink in network
// namespaces (see topo.go), and measures, with 64-byte frames and 1, 10k
// and 1M flows:
//
//	(a) xlvs forwarding with every method built (DR today), 1 worker, and
//	    2 workers where the cores allow;
//	(b) the userspace ceiling: a bare AF_XDP forwarder on dataplane/xsk;
//	(c) the kernel: an XDP redirect reflector and Linux forwarding with
//	    nftables DNAT;
//
// then a SYN flood of 1M distinct tuples through xlvs DR (connections per
// second, occupancy, memory per connection). It writes
// perf/results/<date>-bench.{md,json,png}, stamped with the machine, the
// kernel and the commit. Every namespace it made is removed on exit, on
// failure and on Ctrl-C.
//
//	go run ./perf/bench [--duration 5s] [--warmup 1s] [--flows 1,10000,1000000] [--out perf/results]
package main
