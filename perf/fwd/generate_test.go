//go:build linux

package fwd

import (
	"testing"

	"github.com/xlvs/xlvs/internal/bpfgen"
)

// TestGenerateReproducible checks that the committed bpf2go output is what
// reflect.c and redirect.c compile to (skipped without clang or in -short mode).
func TestGenerateReproducible(t *testing.T) {
	bpfgen.CheckCurrent(t)
}
