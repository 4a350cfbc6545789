//go:build linux

package fwd

import (
	"testing"

	"github.com/xlvs/xlvs/internal/bpfgentest"
)

// TestGenerateReproducible checks that the committed reflect and redirect
// objects and their Go bindings are what gen.go's bpf2go directives build
// from reflect.c and redirect.c today.
func TestGenerateReproducible(t *testing.T) { bpfgentest.CheckReproducible(t, "fwd", "perf/fwd") }
