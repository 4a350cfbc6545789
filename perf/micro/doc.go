// Command micro collects the Go micro-benchmarks of the fast path into
// perf/results/<date>-micro.txt (stamped with the command, machine, kernel
// and commit) and compares them with the previous results file of the
// collection (by the date in its name; other *-micro.txt files are a
// feature's own) using benchstat (a tool dependency: go tool benchstat),
// writing perf/results/<date>-micro-vs-<previous date>.txt.
//
//	go run ./perf/micro [--count 6] [--bench .] [--out perf/results] [packages...]
//
// `make bench-micro` runs it. The packages default to those of the hot
// path; the AF_XDP and XDP benchmarks among them need root.
package main
