package main

import (
	"strings"
	"testing"
)

func TestNATConnMaxFlag(t *testing.T) {
	o, err := parseFlags([]string{"-i", "eth0", "--conn-max", "8192", "--nat-conn-max", "1000"})
	if err != nil || o.natConnMax != 1000 {
		t.Fatalf("--nat-conn-max 1000: %+v, %v", o, err)
	}
	if o, err := parseFlags([]string{"-i", "eth0"}); err != nil || o.natConnMax != 0 {
		t.Fatalf("default: %+v, %v (want 0: conn-max/4)", o, err)
	}
	for _, args := range [][]string{
		{"-i", "eth0", "--nat-conn-max", "-1"},
		{"-i", "eth0", "--conn-max", "4096", "--nat-conn-max", "4097"},
	} {
		if _, err := parseFlags(args); err == nil || !strings.Contains(err.Error(), "invalid --nat-conn-max") {
			t.Errorf("%q: %v, want invalid --nat-conn-max", args, err)
		}
	}
}
