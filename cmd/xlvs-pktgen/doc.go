// Command xlvs-pktgen is the packet generator and sink of the xlvs
// benchmarks:
//
//	xlvs-pktgen send --dev eth0 --dst 198.18.0.100 --dport 80 --flows 10000 --size 64 --duration 5s
//	xlvs-pktgen sink --dev eth0
//	xlvs-pktgen forward --in eth0 --out eth1 --dst-mac 02:..
//	xlvs-pktgen reflect --in eth0 --out eth1 --dst-mac 02:..
//
// See perf/pktgen/cli for the commands and their flags.
package main
