//go:build linux

package decap

import (
	"testing"

	"github.com/xlvs/xlvs/internal/bpfgen"
)

// TestGenerateReproducible checks that the committed bpf2go output is what
// decap.c compiles to (skipped without clang or in -short mode).
func TestGenerateReproducible(t *testing.T) {
	bpfgen.CheckCurrent(t)
}
