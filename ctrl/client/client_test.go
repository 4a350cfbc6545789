package client_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
)

func TestSocketPath(t *testing.T) {
	t.Setenv("XLVS_SOCKET", "/tmp/other/xlvs.sock")
	if got := client.SocketPath(); got != "/tmp/other/xlvs.sock" {
		t.Errorf("SocketPath with XLVS_SOCKET set: %q", got)
	}
	t.Setenv("XLVS_SOCKET", "")
	if got := client.SocketPath(); got != "/run/xlvs/xlvs.sock" {
		t.Errorf("SocketPath with XLVS_SOCKET empty: %q, want %q", got, "/run/xlvs/xlvs.sock")
	}
}

// fakeDaemon listens on a unix socket and answers each request line with
// reply(n, request), n counting requests from 1. It counts connections.
type fakeDaemon struct {
	path  string
	conns atomic.Int32
}

func startFake(t *testing.T, reply func(n int, req *api.Request, line []byte) string) *fakeDaemon {
	t.Helper()
	d := &fakeDaemon{path: filepath.Join(t.TempDir(), "xlvs.sock")}
	ln, err := net.Listen("unix", d.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.conns.Add(1)
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for n := 1; ; n++ {
					line, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					var req api.Request
					if json.Unmarshal(line, &req) != nil {
						return
					}
					out := reply(n, &req, line)
					if out == "" {
						return // hang up
					}
					if _, err := c.Write([]byte(out)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return d
}

func dial(t *testing.T, path string) *client.Client {
	t.Helper()
	c, err := client.Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSeveralRequestsOnOneConnection(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	d := startFake(t, func(n int, req *api.Request, line []byte) string {
		mu.Lock()
		lines = append(lines, string(line))
		mu.Unlock()
		if req.Op == api.OpAddService {
			return `{"error":{"code":17,"msg":"Service already exists"}}` + "\n"
		}
		b, _ := json.Marshal(&api.Response{Info: &api.Info{Version: 0x010201, NumServices: uint32(n)}})
		return string(b) + "\n"
	})
	c := dial(t, d.path)
	for i := 1; i <= 3; i++ {
		resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
		if err != nil || resp.Err != nil || resp.Info == nil || resp.Info.NumServices != uint32(i) {
			t.Fatalf("request %d: %+v, %v; want the answer to request %d", i, resp, err, i)
		}
	}
	// A refused request is a response, with its code, not a transport error.
	resp, err := c.Do(&api.Request{Op: api.OpAddService, Service: &api.Service{Scheduler: "rr"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Err == nil || resp.Err.C != api.CodeExists || resp.Err.Error() != "Service already exists" || !errors.Is(resp.Err, &api.Error{C: api.CodeExists}) {
		t.Errorf("refused request: %+v", resp.Err)
	}
	if n := d.conns.Load(); n != 1 {
		t.Errorf("%d connections for 4 requests, want 1", n)
	}
	// One JSON object per line.
	mu.Lock()
	defer mu.Unlock()
	for _, l := range lines {
		if strings.Count(l, "\n") != 1 || !strings.HasSuffix(l, "\n") {
			t.Errorf("request not sent as one line: %q", l)
		}
	}
	if !strings.Contains(lines[3], `"scheduler":"rr"`) {
		t.Errorf("request body not sent: %q", lines[3])
	}
}

func TestTransportErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.sock")
	if _, err := client.Dial(missing); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Dial of a missing socket: %v, want ENOENT (ipvsadm prints its text)", err)
	}

	d := startFake(t, func(n int, req *api.Request, line []byte) string {
		if n == 1 {
			return "not json\n"
		}
		return ""
	})
	c := dial(t, d.path)
	if _, err := c.Do(&api.Request{Op: api.OpGetInfo}); err == nil || !strings.Contains(err.Error(), "decode response") {
		t.Errorf("malformed response: %v", err)
	}
	if _, err := c.Do(&api.Request{Op: api.OpGetInfo}); err == nil || !strings.Contains(err.Error(), "read response") {
		t.Errorf("daemon hung up: %v", err)
	}
}
