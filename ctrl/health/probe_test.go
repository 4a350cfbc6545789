package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The body the test HTTP server sends and its MD5, as keepalived's
// genhash prints it (`printf 'xlvs health check body\n' | md5sum`).
const (
	httpBody   = "xlvs health check body\n"
	httpDigest = "bd20070abcc99931b943b95ffc562df7"
)

// serveHTTP serves path with status and httpBody on addr until the test
// ends; it returns a stop function. Requests it saw are sent to seen.
func serveHTTP(t *testing.T, addr string, status int, seen chan<- *http.Request) (stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			select {
			case seen <- r:
			default:
			}
		}
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(httpBody))
	})}
	go srv.Serve(ln)
	stop = func() { srv.Close() }
	t.Cleanup(stop)
	return stop
}

func httpCheck(path, digest string, status ...StatusRange) Check {
	ch := fast(HTTPGet)
	ch.URLs = []URL{{Path: path, Digest: digest, Status: status}}
	return ch
}

func probeOnce(t *testing.T, ch Check, target string) result {
	t.Helper()
	c, _, _ := newChecker(t)
	r := real(target, 1)
	return c.probe(context.Background(), ch, targetOf(r, ch))
}

func TestHTTPGet(t *testing.T) {
	p := freePort(t)
	ok := fmt.Sprintf("127.0.0.11:%d", p)
	unavailable := fmt.Sprintf("127.0.0.12:%d", p)
	seen := make(chan *http.Request, 1)
	serveHTTP(t, ok, 200, seen)
	serveHTTP(t, unavailable, 503, nil)
	for _, tc := range []struct {
		name    string
		ch      Check
		target  string
		wantErr error // nil: healthy
	}{
		{"status and digest match", httpCheck("/health", httpDigest), ok, nil},
		{"uppercase digest", httpCheck("/health", strings.ToUpper(httpDigest)), ok, nil},
		{"no digest: status only", httpCheck("/health", ""), ok, nil},
		{"wrong digest", httpCheck("/health", "640205b7b0fc66c1ea91c463fac6334d"), ok, ErrDigest},
		{"404 outside the default 200-299", httpCheck("/missing", ""), ok, ErrStatus},
		{"503 outside the default", httpCheck("/health", ""), unavailable, ErrStatus},
		{"503 in a configured range", httpCheck("/health", "", StatusRange{200, 299}, StatusRange{503, 503}), unavailable, nil},
		{"200 not in a configured list", httpCheck("/health", "", StatusRange{204, 204}), ok, ErrStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := probeOnce(t, tc.ch, tc.target)
			if tc.wantErr == nil && res.err != nil || tc.wantErr != nil && !errors.Is(res.err, tc.wantErr) {
				t.Errorf("probe: %v, want %v", res.err, tc.wantErr)
			}
		})
	}
	// The request is keepalived's: HTTP/1.0, its User-Agent, the Host
	// given by virtualhost.
	for len(seen) > 0 {
		<-seen
	}
	ch := httpCheck("/health", httpDigest)
	ch.VirtualHost = "www.example.test"
	if res := probeOnce(t, ch, ok); res.err != nil {
		t.Fatal(res.err)
	}
	r := <-seen
	if r.Proto != "HTTP/1.0" || r.Host != "www.example.test" || r.UserAgent() != "KeepAliveClient" {
		t.Errorf("request %s Host %q User-Agent %q", r.Proto, r.Host, r.UserAgent())
	}
}

// TestHTTPGetStatusDown: a server answering with a wrong status code is
// taken out, and returns when the status is right again.
func TestHTTPGetStatusDown(t *testing.T) {
	c, rec, _ := newChecker(t)
	p := freePort(t)
	a1, a2 := fmt.Sprintf("127.0.0.11:%d", p), fmt.Sprintf("127.0.0.12:%d", p)
	serveHTTP(t, a1, 200, nil)
	stop := serveHTTP(t, a2, 500, nil)
	ch := httpCheck("/health", httpDigest)
	if err := c.Update([]Service{drService(80, real(a1, 1, ch), real(a2, 1, ch))}); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), a1+"=1")
	if st := statusOf(t, c, a2); !strings.Contains(st.LastError, "500") {
		t.Errorf("last error %q does not name the status", st.LastError)
	}
	stop()
	serveHTTP(t, a2, 200, nil)
	waitPool(t, rec, tcpKey(80), fmt.Sprintf("%s=1 %s=1", a1, a2))
}

// TestHTTPGetNeverAnswers: a server that accepts and never answers fails
// at connect_timeout.
func TestHTTPGetNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.13:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	ch := httpCheck("/health", "")
	ch.ConnectTimeout = 100 * time.Millisecond
	res := probeOnce(t, ch, ln.Addr().String())
	if !errors.Is(res.err, ErrCheckTimeout) {
		t.Errorf("probe: %v, want a timeout", res.err)
	}
}

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMiscCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	codeFile := filepath.Join(dir, "code")
	path := script(t, dir, "check.sh", "exit $(cat "+codeFile+")\n")
	for _, tc := range []struct {
		code       int
		dynamic    bool
		wantUp     bool
		wantWeight int32
	}{
		{0, false, true, -1},
		{1, false, false, -1},
		{2, false, false, -1},
		{0, true, true, -1},
		{1, true, false, -1},
		{2, true, true, 0},
		{7, true, true, 5},
		{255, true, true, 253},
	} {
		t.Run(fmt.Sprintf("exit=%d,dynamic=%v", tc.code, tc.dynamic), func(t *testing.T) {
			if err := os.WriteFile(codeFile, []byte(strconv.Itoa(tc.code)), 0o644); err != nil {
				t.Fatal(err)
			}
			ch := fast(MiscCheck)
			ch.MiscPath, ch.MiscDynamic, ch.MiscTimeout = []string{path}, tc.dynamic, 5*time.Second
			res := probeOnce(t, ch, "127.0.0.11:80")
			if (res.err == nil) != tc.wantUp || res.weight != tc.wantWeight {
				t.Errorf("got err=%v weight=%d, want up=%v weight=%d", res.err, res.weight, tc.wantUp, tc.wantWeight)
			}
		})
	}
}

// TestMiscDynamicWeight: misc_dynamic exit codes set the weight in the
// director; exit 0 restores the configured weight.
func TestMiscDynamicWeight(t *testing.T) {
	c, rec, _ := newChecker(t)
	dir := t.TempDir()
	codeFile := filepath.Join(dir, "code")
	os.WriteFile(codeFile, []byte("12"), 0o644)
	ch := fast(MiscCheck)
	ch.MiscPath, ch.MiscDynamic, ch.MiscTimeout = []string{script(t, dir, "w.sh", "exit $(cat "+codeFile+")\n")}, true, 5*time.Second
	if err := c.Update([]Service{drService(80, real("127.0.0.11:80", 3, ch))}); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), "127.0.0.11:80=10")
	os.WriteFile(codeFile, []byte("1"), 0o644)
	waitPool(t, rec, tcpKey(80), "")
	os.WriteFile(codeFile, []byte("0"), 0o644)
	waitPool(t, rec, tcpKey(80), "127.0.0.11:80=3")
}

// TestHungScriptIsKilledAndStallsNothing: a MISC_CHECK that hangs is
// killed at misc_timeout with its children, and meanwhile another real
// server's check goes on and takes its server out.
func TestHungScriptIsKilledAndStallsNothing(t *testing.T) {
	c, rec, _ := newChecker(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	hang := fast(MiscCheck)
	hang.MiscPath = []string{script(t, dir, "hang.sh", "sleep 600 &\necho $! > "+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nwait\n")}
	hang.MiscTimeout = time.Hour
	p := freePort(t)
	tcpDown := fmt.Sprintf("127.0.0.12:%d", p)
	if err := c.Update([]Service{drService(80, real("127.0.0.11:80", 1, hang), real(tcpDown, 1, fast(TCPCheck)))}); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), "127.0.0.11:80=1")
	if st := statusOf(t, c, "127.0.0.11:80"); !st.LastCheck.IsZero() {
		t.Fatalf("the hanging check finished: %+v", st)
	}

	// Now the timeout path: a short misc_timeout kills the script and
	// its sleep.
	os.Remove(pidFile)
	hang.MiscTimeout = 200 * time.Millisecond
	res := probeOnce(t, hang, "127.0.0.11:80")
	if !errors.Is(res.err, ErrCheckTimeout) {
		t.Fatalf("hanging script: %v, want a timeout", res.err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not start its child: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitFor(t, 10*time.Second, func() (bool, string) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true, ""
		}
		f := strings.Fields(string(st))
		return len(f) > 2 && f[2] == "Z", fmt.Sprintf("the script's child %d still runs: %s", pid, st)
	})
}
