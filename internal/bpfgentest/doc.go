// Package bpfgentest implements the "generated BPF files are current"
// check for packages whose gen.go runs bpf2go: every directive is run
// again into a temporary directory and its output compared byte for byte
// with the committed files. Used from tests only; the functions are safe
// for concurrent use (they share nothing).
package bpfgentest
