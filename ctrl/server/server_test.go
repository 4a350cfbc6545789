package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/ctrl/server"
)

// opPanic makes the test handler panic.
const opPanic api.Op = "test-panic"

// echo is a handler that answers get-service with the service it was
// sent, get-info with the number of requests seen, and panics on opPanic.
type echo struct{ n atomic.Int64 }

func (e *echo) Do(req *api.Request) *api.Response {
	n := e.n.Add(1)
	switch req.Op {
	case opPanic:
		panic("test handler panic")
	case api.OpGetService:
		return &api.Response{Services: []api.Service{*req.Service}}
	case api.OpGetInfo:
		return &api.Response{Info: &api.Info{Version: 0x010201, NumServices: uint32(n)}}
	}
	return &api.Response{Err: api.NewError(api.CodeUnsupported, "op "+string(req.Op))}
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func sockPath(t *testing.T) string { return filepath.Join(t.TempDir(), "xlvs.sock") }

// start serves h on a fresh socket, closed at cleanup.
func start(t *testing.T, h server.Handler) (string, *server.Server, *logBuffer) {
	t.Helper()
	path := sockPath(t)
	lb := &logBuffer{}
	s, err := server.Listen(path, h, slog.New(slog.NewTextHandler(lb, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return path, s, lb
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

// rawDial connects without the client, for sending arbitrary bytes.
func rawDial(t *testing.T, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReaderSize(c, 1<<16)
}

func readResponse(t *testing.T, r *bufio.Reader) *api.Response {
	t.Helper()
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var resp api.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("response %q: %v", line, err)
	}
	return &resp
}

// expectClosed checks that the server closed the connection.
func expectClosed(t *testing.T, r *bufio.Reader) {
	t.Helper()
	if line, err := r.ReadBytes('\n'); err == nil {
		t.Errorf("connection still open: read %q", line)
	}
}

// getInfo checks that c is served.
func getInfo(t *testing.T, c *client.Client) {
	t.Helper()
	resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
	if err != nil || resp.Err != nil || resp.Info == nil || resp.Info.Version != 0x010201 {
		t.Fatalf("get-info: %+v, %v", resp, err)
	}
}

func TestRequestsAndResponses(t *testing.T) {
	path, _, _ := start(t, &echo{})
	c := dial(t, path)
	svc := api.Service{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 443}, Scheduler: "wrr", Netmask: 128}
	resp, err := c.Do(&api.Request{Op: api.OpGetService, Service: &svc})
	if err != nil || resp.Err != nil || len(resp.Services) != 1 {
		t.Fatalf("get-service: %+v, %v", resp, err)
	}
	if got := resp.Services[0]; got.Key != svc.Key || got.Scheduler != "wrr" || got.Netmask != 128 {
		t.Errorf("service came back as %+v, want %+v", got, svc)
	}
	resp, err = c.Do(&api.Request{Op: api.OpZero})
	if err != nil || resp.Err == nil || resp.Err.C != api.CodeUnsupported || resp.Err.Msg != "op zero" {
		t.Errorf("refused request: %+v, %v; want the handler's coded error", resp, err)
	}

	// Several clients at once, each with several requests.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := client.Dial(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for range 25 {
				if resp, err := c.Do(&api.Request{Op: api.OpGetInfo}); err != nil || resp.Info == nil {
					t.Errorf("concurrent get-info: %+v, %v", resp, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestGarbageLineClosesOnlyItsConnection(t *testing.T) {
	h := &echo{}
	path, _, _ := start(t, h)
	other := dial(t, path)
	getInfo(t, other)
	for _, garbage := range []string{"this is not json\n", "{\"op\":\n", "[1,2,3]\n", "\x00\xff\n"} {
		conn, r := rawDial(t, path)
		seen := h.n.Load()
		if _, err := conn.Write([]byte(garbage)); err != nil {
			t.Fatal(err)
		}
		resp := readResponse(t, r)
		if resp.Err == nil || resp.Err.C != api.CodeInvalid || !strings.HasPrefix(resp.Err.Msg, "bad request: ") {
			t.Errorf("%q: response %+v, want a bad request error", garbage, resp)
		}
		expectClosed(t, r)
		if h.n.Load() != seen {
			t.Errorf("%q reached the handler", garbage)
		}
	}
	getInfo(t, other)
	getInfo(t, dial(t, path))
}

func TestRequestSizeLimit(t *testing.T) {
	path, _, _ := start(t, &echo{})
	body := `{"op":"get-info"}`
	line := func(n int) []byte { // a valid request padded to n bytes, newline excluded
		return append([]byte(body+strings.Repeat(" ", n-len(body))), '\n')
	}

	conn, r := rawDial(t, path)
	if _, err := conn.Write(line(server.MaxRequestSize)); err != nil {
		t.Fatal(err)
	}
	if resp := readResponse(t, r); resp.Err != nil || resp.Info == nil {
		t.Errorf("request of exactly MaxRequestSize bytes: %+v", resp)
	}

	conn, r = rawDial(t, path)
	go conn.Write(line(server.MaxRequestSize + 1)) // fails once the server hangs up
	resp := readResponse(t, r)
	if resp.Err == nil || resp.Err.C != api.CodeInvalid || !strings.Contains(resp.Err.Msg, "larger than") {
		t.Errorf("request of MaxRequestSize+1 bytes: %+v, want refused as too large", resp)
	}
	expectClosed(t, r)
	getInfo(t, dial(t, path))
}

func TestHandlerPanicIsAnError(t *testing.T) {
	path, _, logs := start(t, &echo{})
	c := dial(t, path)
	resp, err := c.Do(&api.Request{Op: opPanic})
	if err != nil {
		t.Fatalf("panic lost the connection: %v", err)
	}
	if resp.Err == nil || resp.Err.C != api.CodeInvalid || resp.Err.Msg != "internal error handling "+string(opPanic) {
		t.Errorf("panic response %+v", resp)
	}
	getInfo(t, c) // the same connection goes on
	getInfo(t, dial(t, path))
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "test handler panic") {
		t.Errorf("panic not logged: %q", logs.String())
	}
}

// staleSocket leaves a unix socket file at path that nobody listens on, as
// a daemon that died does (net.UnixListener would remove it on Close).
func staleSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := sockPath(t)
	staleSocket(t, path)
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("stale socket not created: %v %v", fi, err)
	}
	if _, err := net.Dial("unix", path); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("stale socket answers: %v", err)
	}
	lb := &logBuffer{}
	s, err := server.Listen(path, &echo{}, slog.New(slog.NewTextHandler(lb, nil)))
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer s.Close()
	getInfo(t, dial(t, path))
	if !strings.Contains(lb.String(), "stale") {
		t.Errorf("replacing the stale socket was not logged: %q", lb.String())
	}
}

func TestLiveServerRefusesSecond(t *testing.T) {
	path, _, _ := start(t, &echo{})
	c := dial(t, path)
	s2, err := server.Listen(path, &echo{}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, server.ErrInUse) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second Listen on a live socket: %v, want ErrInUse", err)
	}
	getInfo(t, c)
	getInfo(t, dial(t, path))
}

func TestNonSocketNotRemoved(t *testing.T) {
	path := sockPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := server.Listen(path, &echo{}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, server.ErrNotSocket) {
		if s != nil {
			s.Close()
		}
		t.Errorf("Listen over a regular file: %v, want ErrNotSocket", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("regular file at the socket path: %q, %v; want it untouched", b, err)
	}
}

func TestSocketModeAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "xlvs", "xlvs.sock") // directories created
	s, err := server.Listen(path, &echo{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with mode 0600", fi.Mode())
	}
	c := dial(t, path)
	getInfo(t, c)

	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return while a client was connected")
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}
	if _, err := c.Do(&api.Request{Op: api.OpGetInfo}); err == nil {
		t.Error("a connection survived Close")
	}
	if _, err := client.Dial(path); err == nil {
		t.Error("Dial succeeded after Close")
	}
}

// TestCloseWhileConnecting closes the server while clients keep dialling
// and holding their connections open: Close must return (it may not leave
// a connection accepted in the meantime unserved and open), and the path
// must be free for the next daemon.
func TestCloseWhileConnecting(t *testing.T) {
	path := sockPath(t)
	for range 20 {
		s, err := server.Listen(path, &echo{}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var held []net.Conn
				defer func() {
					for _, c := range held {
						c.Close()
					}
				}()
				for len(held) < 200 {
					select {
					case <-stop:
						return
					default:
					}
					if c, err := net.Dial("unix", path); err == nil {
						held = append(held, c)
					}
				}
				<-stop
			}()
		}
		time.Sleep(time.Millisecond)
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close hung while clients were connecting")
		}
		close(stop)
		wg.Wait()
	}
}
