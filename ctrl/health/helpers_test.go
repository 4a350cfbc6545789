package health

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// recorder is the real model behind a log of the requests it was sent.
type recorder struct {
	m    *model.Model
	mu   sync.Mutex
	reqs []api.Request
}

func newRecorder() *recorder { return &recorder{m: model.New(model.Config{})} }

func (r *recorder) Do(req *api.Request) *api.Response {
	r.mu.Lock()
	r.reqs = append(r.reqs, *req)
	r.mu.Unlock()
	return r.m.Do(req)
}

// take returns and forgets the requests so far, one line each ("add-dest
// 127.0.0.11:80 w=1").
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs {
		out = append(out, reqString(&q))
	}
	r.reqs = nil
	return out
}

func reqString(q *api.Request) string {
	s := string(q.Op) + " " + keyString(q.Service.Key)
	if q.Dest != nil {
		s += fmt.Sprintf(" %s w=%d", destKey(*q.Dest), q.Dest.Weight)
	}
	return s
}

// pool lists the real servers of service k as the director holds them:
// "addr:port" → weight; nil when the service does not exist.
func (r *recorder) pool(k api.ServiceKey) map[string]int32 {
	resp := r.m.Do(&api.Request{Op: api.OpGetService, Service: &api.Service{Key: k}})
	if resp.Err != nil {
		return nil
	}
	out := map[string]int32{}
	for _, d := range resp.Services[0].Dests {
		out[destKey(d).String()] = d.Weight
	}
	return out
}

func poolString(p map[string]int32) string {
	if p == nil {
		return "<no service>"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p)) {
		fmt.Fprintf(&b, "%s=%d ", k, p[k])
	}
	return strings.TrimSpace(b.String())
}

// waitPool waits until service k's pool reads want (poolString form).
func waitPool(t *testing.T, r *recorder, k api.ServiceKey, want string) {
	t.Helper()
	waitFor(t, 20*time.Second, func() (bool, string) {
		got := poolString(r.pool(k))
		return got == want, fmt.Sprintf("pool of %s is %q, want %q", keyString(k), got, want)
	})
}

func waitFor(t *testing.T, limit time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not true after %v: %s", limit, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newChecker returns a checker on a fresh model whose log goes to the
// returned buffer; it is closed when t ends.
func newChecker(t *testing.T) (*Checker, *recorder, *syncbuf.Buffer) {
	t.Helper()
	rec := newRecorder()
	logs := &syncbuf.Buffer{}
	c, err := New(Config{Apply: rec, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("checker log:\n%s", logs)
		}
	})
	return c, rec, logs
}

// fast returns a check of type typ with short timers: delay_loop 30ms,
// delay_before_retry 10ms, no warmup, connect_timeout 2s.
func fast(typ CheckType) Check {
	ch := DefaultCheck(typ)
	ch.DelayLoop, ch.DelayBeforeRetry, ch.Warmup, ch.ConnectTimeout = 30*time.Millisecond, 10*time.Millisecond, 0, 2*time.Second
	return ch
}

var vip = netip.MustParseAddr("198.18.0.100")

func tcpKey(port uint16) api.ServiceKey {
	return api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: port}
}

// drService is a DR service on vip:port with the given real servers.
func drService(port uint16, reals ...Real) Service {
	return Service{Service: api.Service{Key: tcpKey(port), Scheduler: "rr"}, Reals: reals}
}

func real(addr string, weight int32, checks ...Check) Real {
	ap := netip.MustParseAddrPort(addr)
	return Real{Dest: api.Dest{Addr: ap.Addr(), Port: ap.Port(), Method: api.MethodRoute, Weight: weight}, Checks: checks}
}

// listen opens a TCP listener on addr that accepts and closes connections
// until the test ends or the returned stop is called.
func listen(t *testing.T, addr string) (stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { ln.Close() }) }
	t.Cleanup(stop)
	return stop
}

// freePort returns a TCP port nothing listens on at 127.0.0.1 right now.
func freePort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}
