//go:build linux

package bpf

import (
	"testing"

	"github.com/xlvs/xlvs/internal/bpfgen"
)

// TestGenerateReproducible checks that the committed bpf2go output is what
// steer.c compiles to (skipped without clang or in -short mode).
func TestGenerateReproducible(t *testing.T) {
	bpfgen.CheckCurrent(t)
}
