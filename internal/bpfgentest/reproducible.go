package bpfgentest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Directive is one //go:generate go tool bpf2go line of a gen.go.
type Directive struct {
	// Args are the arguments after "go tool bpf2go", double-quoted ones
	// unquoted.
	Args []string
	// Stem is the object name (bpf2go's first positional argument): the
	// outputs are <stem>_bpf{el,eb}.{go,o}.
	Stem string
}

// Outputs returns the four files the directive writes.
func (d Directive) Outputs() []string {
	return []string{d.Stem + "_bpfel.go", d.Stem + "_bpfel.o", d.Stem + "_bpfeb.go", d.Stem + "_bpfeb.o"}
}

// ParseDirectives returns the bpf2go directives of a gen.go source.
func ParseDirectives(src string) ([]Directive, error) {
	const prefix = "//go:generate go tool bpf2go "
	var ds []Directive
	for line := range strings.Lines(src) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			continue
		}
		var d Directive
		for i, part := range strings.Split(rest, `"`) {
			if i%2 == 1 {
				d.Args = append(d.Args, part)
			} else {
				d.Args = append(d.Args, strings.Fields(part)...)
			}
		}
		// The stem is the argument right before the C source.
		for i, a := range d.Args {
			if strings.HasSuffix(a, ".c") && i > 0 {
				d.Stem = d.Args[i-1]
				break
			}
		}
		if d.Stem == "" {
			return nil, fmt.Errorf("bpf2go directive without a stem and a .c source: %q", rest)
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("no bpf2go directive")
	}
	return ds, nil
}

// CheckReproducible runs every bpf2go directive of gen.go in the current
// directory (a test's package directory: dir, relative to the module
// root, for the message) for the package named pkg into a temporary
// directory and reports each committed output that differs from the fresh
// build. It skips in -short mode and without clang, llvm-strip or go.
func CheckReproducible(t *testing.T, pkg, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not compiling BPF")
	}
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot regenerate the BPF objects", tool)
		}
	}
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDirectives(string(src))
	if err != nil {
		t.Fatalf("gen.go: %v", err)
	}
	for _, d := range ds {
		out := t.TempDir()
		cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, d.Args...)...)
		cmd.Env = append(os.Environ(), "GOPACKAGE="+pkg, "GOFILE=gen.go")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, msg)
		}
		for _, name := range d.Outputs() {
			committed, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, fresh) {
				t.Errorf("%s differs from a fresh build of %s.c: run go generate ./%s", name, d.Stem, dir)
			}
		}
	}
}
