package bpfgentest

import (
	"reflect"
	"testing"
)

func TestParseDirectives(t *testing.T) {
	src := `package fwd

// comment
//go:generate go tool bpf2go -tags linux -cflags "-O2 -g -Wall -Werror" -type reflect_config reflect reflect.c -- -I/usr/include/x86_64-linux-gnu
//go:generate go tool bpf2go -tags linux redirect redirect.c
//go:generate go tool stringer -type X
`
	ds, err := ParseDirectives(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("%d directives, want 2: %+v", len(ds), ds)
	}
	want := []string{"-tags", "linux", "-cflags", "-O2 -g -Wall -Werror", "-type", "reflect_config", "reflect", "reflect.c", "--", "-I/usr/include/x86_64-linux-gnu"}
	if !reflect.DeepEqual(ds[0].Args, want) || ds[0].Stem != "reflect" {
		t.Errorf("first directive %q stem %q, want %q stem reflect", ds[0].Args, ds[0].Stem, want)
	}
	if ds[1].Stem != "redirect" || !reflect.DeepEqual(ds[1].Outputs(), []string{"redirect_bpfel.go", "redirect_bpfel.o", "redirect_bpfeb.go", "redirect_bpfeb.o"}) {
		t.Errorf("second directive: stem %q outputs %q", ds[1].Stem, ds[1].Outputs())
	}
	for _, bad := range []string{"package x\n", "//go:generate go tool bpf2go -tags linux\n"} {
		if _, err := ParseDirectives(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
