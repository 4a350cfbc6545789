//go:build linux

package decap

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateReproducible runs the bpf2go directive of gen.go into a
// temporary directory and checks that it reproduces the committed files
// byte for byte: the committed objects are what decap.c compiles to, and
// `go generate` is deterministic. Skipped without clang or in -short mode.
func TestGenerateReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not compiling BPF")
	}
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot regenerate the BPF objects", tool)
		}
	}
	args := bpf2goArgs(t)
	out := t.TempDir()
	args = append([]string{"tool", "bpf2go", "-output-dir", out}, args...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOPACKAGE=decap", "GOFILE=gen.go")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, msg)
	}
	for _, name := range []string{"decap_bpfel.go", "decap_bpfel.o", "decap_bpfeb.go", "decap_bpfeb.o"} {
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, fresh) {
			t.Errorf("%s differs from a fresh build of decap.c: run go generate ./dataplane/decap", name)
		}
	}
}

// bpf2goArgs returns the arguments of gen.go's bpf2go directive, after
// "go tool bpf2go", with double-quoted arguments unquoted.
func bpf2goArgs(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "//go:generate go tool bpf2go "
	for line := range strings.Lines(string(src)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			continue
		}
		var args []string
		for i, part := range strings.Split(rest, `"`) {
			if i%2 == 1 {
				args = append(args, part)
			} else {
				args = append(args, strings.Fields(part)...)
			}
		}
		return args
	}
	t.Fatal("gen.go has no bpf2go directive")
	return nil
}
