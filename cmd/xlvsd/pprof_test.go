package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPprofFlag checks --pprof as a user types it: off by default, a
// HOST:PORT accepted, anything else refused with the flag's name.
func TestPprofFlag(t *testing.T) {
	o, err := parseFlags([]string{"-i", "eth0"})
	if err != nil || o.pprofAddr != "" {
		t.Fatalf("default: %q %v, want the profiler off", o.pprofAddr, err)
	}
	if o, err = parseFlags([]string{"-i", "eth0", "--pprof", "127.0.0.1:6060"}); err != nil || o.pprofAddr != "127.0.0.1:6060" {
		t.Fatalf("--pprof 127.0.0.1:6060: %+v %v", o, err)
	}
	if _, err := parseFlags([]string{"-i", "eth0", "--pprof", "6060"}); err == nil || !strings.Contains(err.Error(), `invalid --pprof "6060"`) {
		t.Errorf("--pprof 6060: %v, want invalid --pprof", err)
	}
}

// TestPprofServes checks that the profiler answers on its listener: the
// index lists the profiles and a heap profile comes back non-empty.
func TestPprofServes(t *testing.T) {
	srv := httptest.NewServer(pprofMux())
	defer srv.Close()
	for _, c := range []struct{ path, want string }{
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/heap?debug=1", "heap profile"},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), c.want) {
			t.Errorf("GET %s: %d, body without %q:\n%.300s", c.path, resp.StatusCode, c.want, body)
		}
	}
	if err := startPprof(&pprofOptions{pprofAddr: "256.0.0.1:1"}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("startPprof on an impossible address: no error")
	}
}
