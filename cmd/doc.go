// Package cmd groups the xlvs commands: xlvsd (the director daemon),
// xlvsadm (ipvsadm's command line for it), xlvs-rs (the real-server
// helper), xlvs-lab (the network namespace lab) and xlvs-pktgen (the
// benchmarks' packet generator and sink). Each lives in its own
// subdirectory.
package cmd
