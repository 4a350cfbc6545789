// Package cmd groups the xlvs commands: xlvsd (the director daemon),
// xlvsadm (ipvsadm's command line for it), xlvs-rs (the real-server
// helper) and xlvs-lab (the network namespace lab). Each lives in its own
// subdirectory.
package cmd
