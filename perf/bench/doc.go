// Command bench is the side-by-side throughput harness of xlvs (`make
// bench`, as root). It builds generator → director → sink in network
// namespaces (see topo.go), and measures, with 64-byte frames and 1, 10k
// and 1M flows:
//
//	(a) xlvs forwarding with every method built (DR, NAT, TUN with IPIP
//	    and GUE; FULLNAT's row waits for its merge), 1 worker, and 2
//	    workers with --workers 1,2 (the default from 4 CPUs; on fewer, a
//	    worker shares the generator's core and the row says so);
//	(b) the userspace ceiling: a bare AF_XDP forwarder on dataplane/xsk;
//	(c) the kernel: an XDP redirect reflector and Linux forwarding with
//	    nftables DNAT;
//
// then a SYN flood of 1M distinct tuples through xlvs DR and NAT
// (connections per second, occupancy, memory per connection). It writes
// perf/results/<date>-bench.{md,json,png}, stamped with the machine, the
// kernel and the commit. Every namespace it made is removed on exit, on
// failure and on Ctrl-C. A bad command line exits 2, a failed run 1.
//
//	go run ./perf/bench [--duration 5s] [--warmup 1s] [--flows 1,10000,1000000] [--workers 1,2]
//	                    [--only PATH] [--syn-methods "DR,NAT,TUN IPIP,FULLNAT"] [--profile DIR] [--out perf/results]
package main
