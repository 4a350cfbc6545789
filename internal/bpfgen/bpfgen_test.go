package bpfgen

import (
	"slices"
	"testing"
)

func TestDirectives(t *testing.T) {
	src := `// Package x is generated.
package x

//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall" -type a prog prog.c -- -I/usr/include
//go:generate go tool stringer -type b
	//go:generate go tool bpf2go other other.c
`
	pkg, dirs, err := Directives(src)
	if err != nil {
		t.Fatal(err)
	}
	if pkg != "x" {
		t.Errorf("package %q, want x", pkg)
	}
	want := [][]string{
		{"-tags", "linux", "-cflags", "-O2 -g -Wall", "-type", "a", "prog", "prog.c", "--", "-I/usr/include"},
		{"other", "other.c"},
	}
	if !slices.EqualFunc(dirs, want, slices.Equal) {
		t.Errorf("directives\n%q\nwant\n%q", dirs, want)
	}
}

func TestDirectivesErrors(t *testing.T) {
	for _, src := range []string{
		"//go:generate go tool bpf2go prog prog.c\n",          // no package clause
		"package x\n//go:generate go tool stringer -type a\n", // no bpf2go directive
	} {
		if _, _, err := Directives(src); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
}
