//go:build linux

package pktgen

import (
	"testing"

	"github.com/xlvs/xlvs/internal/bpfgentest"
)

// TestGenerateReproducible checks that the committed livegen and sink
// objects and their Go bindings are what gen.go's bpf2go directives build
// from livegen.c and sink.c today.
func TestGenerateReproducible(t *testing.T) { bpfgentest.CheckReproducible(t, "pktgen", "perf/pktgen") }
