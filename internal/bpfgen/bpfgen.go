package bpfgen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GenFile is the file whose bpf2go directives CheckCurrent runs.
const GenFile = "gen.go"

// directivePrefix starts a bpf2go directive line in GenFile.
const directivePrefix = "//go:generate go tool bpf2go "

// CheckCurrent runs each bpf2go directive of GenFile in the current
// directory into a temporary directory and fails t for every file it
// writes that differs from the committed one: the committed objects and Go
// files are what the C sources compile to, and bpf2go is deterministic.
// It skips t in -short mode and when clang, llvm-strip or go is missing.
func CheckCurrent(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not compiling BPF")
	}
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot regenerate the BPF objects", tool)
		}
	}
	src, err := os.ReadFile(GenFile)
	if err != nil {
		t.Fatal(err)
	}
	pkg, directives, err := Directives(string(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range directives {
		out := t.TempDir()
		cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, args...)...)
		cmd.Env = append(os.Environ(), "GOPACKAGE="+pkg, "GOFILE="+GenFile)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, msg)
		}
		compareDir(t, out, pkg)
	}
}

// compareDir fails t for each file of dir that differs from the file of
// the same name in the current directory, or when dir holds no file.
func compareDir(t testing.TB, dir, pkg string) {
	t.Helper()
	fresh, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) == 0 {
		t.Fatalf("bpf2go wrote nothing into %s", dir)
	}
	for _, e := range fresh {
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(e.Name())
		if err != nil {
			t.Errorf("%s is not committed: run go generate in package %s (%v)", e.Name(), pkg, err)
			continue
		}
		if !bytes.Equal(committed, want) {
			t.Errorf("%s differs from a fresh build of its C source: run go generate in package %s", e.Name(), pkg)
		}
	}
}

// Directives returns the package name of the Go source src and the
// arguments of each of its bpf2go directives (what follows
// "go tool bpf2go"), with double-quoted arguments unquoted. A source
// without a package clause or without a directive is an error.
func Directives(src string) (pkg string, directives [][]string, err error) {
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "package "); ok && pkg == "" {
			pkg = strings.TrimSpace(name)
			continue
		}
		rest, ok := strings.CutPrefix(line, directivePrefix)
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
		directives = append(directives, args)
	}
	if pkg == "" {
		return "", nil, fmt.Errorf("%s: no package clause", GenFile)
	}
	if len(directives) == 0 {
		return "", nil, fmt.Errorf("%s: no bpf2go directive", GenFile)
	}
	return pkg, directives, nil
}
