package health

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// TestTCPCheckRemovesAndRestores stops one real server's listener: it
// leaves the pool after retry+1 failed connects and returns when it
// listens again; the other stays throughout.
func TestTCPCheckRemovesAndRestores(t *testing.T) {
	c, rec, logs := newChecker(t)
	p := freePort(t)
	a1, a2 := fmt.Sprintf("127.0.0.11:%d", p), fmt.Sprintf("127.0.0.12:%d", p)
	listen(t, a1)
	stop2 := listen(t, a2)
	if err := c.Update([]Service{drService(80, real(a1, 1, fast(TCPCheck)), real(a2, 2, fast(TCPCheck)))}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s=1 %s=2", a1, a2)
	if got := poolString(rec.pool(tcpKey(80))); got != want {
		t.Fatalf("after Update the pool is %q, want %q (real servers start healthy)", got, want)
	}
	stop2()
	waitPool(t, rec, tcpKey(80), a1+"=1")
	if !strings.Contains(logs.String(), "real server down, removed") {
		t.Errorf("no state change in the log:\n%s", logs)
	}
	st := statusOf(t, c, a2)
	if st.Healthy || st.InService || st.LastError == "" || st.LastCheck.IsZero() {
		t.Errorf("status of the stopped server: %+v", st)
	}
	listen(t, a2)
	waitPool(t, rec, tcpKey(80), want)
	if st := statusOf(t, c, a2); !st.Healthy || !st.InService || st.CurrentWeight != 2 || st.LastError != "" {
		t.Errorf("status after restart: %+v", st)
	}
}

func statusOf(t *testing.T, c *Checker, addr string) RealServerStatus {
	t.Helper()
	for _, st := range c.Status() {
		if fmt.Sprintf("%s:%d", st.Addr, st.Port) == addr && !st.Sorry {
			return st
		}
	}
	t.Fatalf("no status for %s in %+v", addr, c.Status())
	return RealServerStatus{}
}

// TestInhibitOnFailure keeps a failed server at weight 0.
func TestInhibitOnFailure(t *testing.T) {
	c, rec, _ := newChecker(t)
	p := freePort(t)
	a1, a2 := fmt.Sprintf("127.0.0.11:%d", p), fmt.Sprintf("127.0.0.12:%d", p)
	listen(t, a1)
	r2 := real(a2, 3, fast(TCPCheck))
	r2.Inhibit = true
	if err := c.Update([]Service{drService(80, real(a1, 1, fast(TCPCheck)), r2)}); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), fmt.Sprintf("%s=1 %s=0", a1, a2))
	if st := statusOf(t, c, a2); st.Healthy || !st.InService || st.CurrentWeight != 0 || st.ConfiguredWeight != 3 {
		t.Errorf("status: %+v", st)
	}
	listen(t, a2)
	waitPool(t, rec, tcpKey(80), fmt.Sprintf("%s=1 %s=3", a1, a2))
}

// TestSorryServer: when no real server is healthy the sorry server takes
// over; when one returns, the sorry server leaves.
func TestSorryServer(t *testing.T) {
	c, rec, logs := newChecker(t)
	p := freePort(t)
	a1, a2, sorry := fmt.Sprintf("127.0.0.11:%d", p), fmt.Sprintf("127.0.0.12:%d", p), "127.0.0.99:8080"
	stop1 := listen(t, a1)
	stop2 := listen(t, a2)
	s := drService(80, real(a1, 1, fast(TCPCheck)), real(a2, 1, fast(TCPCheck)))
	sd := real(sorry, 1).Dest
	s.Sorry = &sd
	if err := c.Update([]Service{s}); err != nil {
		t.Fatal(err)
	}
	both := fmt.Sprintf("%s=1 %s=1", a1, a2)
	waitPool(t, rec, tcpKey(80), both)
	stop1()
	waitPool(t, rec, tcpKey(80), a2+"=1")
	stop2()
	waitPool(t, rec, tcpKey(80), sorry+"=1")
	if !strings.Contains(logs.String(), "quorum lost") {
		t.Errorf("no quorum message in the log")
	}
	listen(t, a1)
	waitPool(t, rec, tcpKey(80), a1+"=1")
	listen(t, a2)
	waitPool(t, rec, tcpKey(80), both)
}

// TestAlphaStartsDown: with alpha a server is out until its first success,
// and with a sorry server the service starts on it.
func TestAlphaStartsDown(t *testing.T) {
	c, rec, _ := newChecker(t)
	p := freePort(t)
	a1 := fmt.Sprintf("127.0.0.11:%d", p)
	ch := fast(TCPCheck)
	ch.Alpha = true
	ch.DelayLoop = time.Hour // the first check runs at once (no warmup), the next never
	s := drService(80, real(a1, 1, ch))
	sd := real("127.0.0.99:80", 1).Dest
	s.Sorry = &sd
	if err := c.Update([]Service{s}); err != nil {
		t.Fatal(err)
	}
	got := rec.take()
	want := []string{"add-service tcp 198.18.0.100:80", "add-dest tcp 198.18.0.100:80 127.0.0.99:80 w=1"}
	if !slices.Equal(got, want) {
		t.Errorf("requests at start %q, want %q", got, want)
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		st := statusOf(t, c, a1)
		return !st.LastCheck.IsZero(), "no check ran"
	})
	if got := poolString(rec.pool(tcpKey(80))); got != "127.0.0.99:80=1" {
		t.Errorf("after a failed first check the pool is %q", got)
	}
}

// TestRetryRule drives report directly: a check goes down after retry+1
// consecutive failures, waiting delay_before_retry between them and
// delay_loop after a verdict, and comes back after one success.
func TestRetryRule(t *testing.T) {
	for _, retry := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("retry=", retry), func(t *testing.T) {
			c, rec, _ := newChecker(t)
			ch := DefaultCheck(TCPCheck)
			ch.Retry, ch.DelayLoop, ch.DelayBeforeRetry = retry, 7*time.Second, 2*time.Second
			if err := c.Update([]Service{drService(80, real("127.0.0.11:80", 1), real("127.0.0.12:80", 1))}); err != nil {
				t.Fatal(err)
			}
			c.mu.Lock()
			r := c.svcs[0].reals[1]
			r.cfg.Checks = []Check{ch}
			cs := &checkState{cfg: ch, up: true, cancel: func() {}}
			r.checks = []*checkState{cs}
			c.mu.Unlock()
			rec.take()
			fail := result{err: errors.New("refused"), weight: -1}
			for i := range retry {
				if d := c.report(r, cs, fail); d != 2*time.Second {
					t.Fatalf("failure %d: next check in %v, want delay_before_retry", i+1, d)
				}
				if got := rec.take(); got != nil {
					t.Fatalf("failure %d of %d tolerated retries sent %q", i+1, retry, got)
				}
			}
			if d := c.report(r, cs, fail); d != 7*time.Second {
				t.Fatalf("verdict: next check in %v, want delay_loop", d)
			}
			if got, want := rec.take(), []string{"del-dest tcp 198.18.0.100:80 127.0.0.12:80 w=1"}; !slices.Equal(got, want) {
				t.Fatalf("after %d failures: %q, want %q", retry+1, got, want)
			}
			if d := c.report(r, cs, fail); d != 2*time.Second && retry > 0 || retry == 0 && d != 7*time.Second {
				t.Fatalf("failure while down: next check in %v", d)
			}
			if got := rec.take(); got != nil {
				t.Fatalf("failure while down sent %q", got)
			}
			if d := c.report(r, cs, result{weight: -1}); d != 7*time.Second {
				t.Fatalf("success: next check in %v, want delay_loop", d)
			}
			if got, want := rec.take(), []string{"add-dest tcp 198.18.0.100:80 127.0.0.12:80 w=1"}; !slices.Equal(got, want) {
				t.Fatalf("after a success: %q, want %q", got, want)
			}
		})
	}
}

// TestQuorumHysteresis: quorum 3 hysteresis 1 over weights 1+1+2; lost
// below 2, gained again at 4.
func TestQuorumHysteresis(t *testing.T) {
	c, rec, _ := newChecker(t)
	s := drService(80, real("127.0.0.11:80", 1), real("127.0.0.12:80", 1), real("127.0.0.13:80", 2))
	s.Quorum, s.Hysteresis = 3, 1
	sd := real("127.0.0.99:80", 1).Dest
	s.Sorry = &sd
	if err := c.Update([]Service{s}); err != nil {
		t.Fatal(err)
	}
	set := func(i int, healthy bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		r := c.svcs[0].reals[i]
		r.healthy = healthy
		c.evalQuorumLocked(r.svc)
		c.reconcileLocked(r.svc)
	}
	all := "127.0.0.11:80=1 127.0.0.12:80=1 127.0.0.13:80=2"
	for _, step := range []struct {
		i       int
		healthy bool
		want    string
	}{
		{0, false, "127.0.0.12:80=1 127.0.0.13:80=2"}, // 3 >= quorum-hysteresis
		{1, false, "127.0.0.13:80=2"},                 // 2 >= 2
		{2, false, "127.0.0.99:80=1"},                 // 0: lost
		{2, true, "127.0.0.99:80=1"},                  // 2 < quorum+hysteresis
		{1, true, "127.0.0.99:80=1"},                  // 3 < 4
		{0, true, all},                                // 4: gained
	} {
		set(step.i, step.healthy)
		if got := poolString(rec.pool(tcpKey(80))); got != step.want {
			t.Fatalf("after real server %d healthy=%v: pool %q, want %q", step.i, step.healthy, got, step.want)
		}
	}
}

// TestUpdateKeepsHealthAndTouchesOnlyChanges reloads with an unrelated
// change: a failing server stays out, the unchanged service gets no
// request; a weight change is one edit, a new check restarts from the
// current state.
func TestUpdateKeepsHealthAndTouchesOnlyChanges(t *testing.T) {
	c, rec, _ := newChecker(t)
	p := freePort(t)
	a1, a2 := fmt.Sprintf("127.0.0.11:%d", p), fmt.Sprintf("127.0.0.12:%d", p)
	listen(t, a1)
	cfg := func(w1 int32, other bool) []Service {
		s := []Service{drService(80, real(a1, w1, fast(TCPCheck)), real(a2, 1, fast(TCPCheck)))}
		if other {
			s = append(s, drService(81, real("127.0.0.21:81", 1)))
		}
		return s
	}
	if err := c.Update(cfg(1, false)); err != nil {
		t.Fatal(err)
	}
	waitPool(t, rec, tcpKey(80), a1+"=1")
	rec.take()

	if err := c.Update(cfg(1, true)); err != nil {
		t.Fatal(err)
	}
	got := rec.take()
	want := []string{"add-service tcp 198.18.0.100:81", "add-dest tcp 198.18.0.100:81 127.0.0.21:81 w=1"}
	if !slices.Equal(got, want) {
		t.Errorf("reload adding a service sent %q, want %q", got, want)
	}
	if st := statusOf(t, c, a2); st.Healthy {
		t.Errorf("the reload made the failing server healthy: %+v", st)
	}
	if got := poolString(rec.pool(tcpKey(80))); got != a1+"=1" {
		t.Errorf("pool after reload: %q", got)
	}

	if err := c.Update(cfg(4, true)); err != nil {
		t.Fatal(err)
	}
	got = rec.take()
	want = []string{fmt.Sprintf("edit-dest tcp 198.18.0.100:80 %s w=4", a1)}
	if !slices.Equal(got, want) {
		t.Errorf("reload changing a weight sent %q, want %q", got, want)
	}

	// New check parameters for the failing server: it stays out until a
	// check passes.
	s := cfg(4, true)
	s[0].Reals[1].Checks[0].ConnectTimeout = 3 * time.Second
	if err := c.Update(s); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != nil {
		t.Errorf("reload changing a failing server's check sent %q", got)
	}
	listen(t, a2)
	waitPool(t, rec, tcpKey(80), fmt.Sprintf("%s=4 %s=1", a1, a2))
	rec.take()

	if err := c.Update(cfg(4, false)); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{"del-service tcp 198.18.0.100:81"}; !slices.Equal(got, want) {
		t.Errorf("reload removing a service sent %q, want %q", got, want)
	}
}

// TestUpdateRejectsDuplicates refuses two services with one key.
func TestUpdateRejectsDuplicates(t *testing.T) {
	c, rec, _ := newChecker(t)
	err := c.Update([]Service{drService(80, real("127.0.0.11:80", 1)), drService(80)})
	if !errors.Is(err, ErrDuplicateService) {
		t.Fatalf("err %v, want ErrDuplicateService", err)
	}
	if got := rec.take(); got != nil {
		t.Errorf("a refused update sent %q", got)
	}
}

// TestRefusedRequestIsLogged: the model refuses an IPv6 direct-routing
// real server behind an IPv4 service (IPVS allows mixed families only for
// tunnels); the checker logs it and carries on with the rest.
func TestRefusedRequestIsLogged(t *testing.T) {
	c, rec, logs := newChecker(t)
	v6 := real("[fd00::12]:80", 1)
	if err := c.Update([]Service{drService(80, real("127.0.0.11:80", 1), v6)}); err != nil {
		t.Fatal(err)
	}
	if got := poolString(rec.pool(tcpKey(80))); got != "127.0.0.11:80=1" {
		t.Errorf("pool %q", got)
	}
	if !strings.Contains(logs.String(), "request refused") || !strings.Contains(logs.String(), "fd00::12") {
		t.Errorf("refusal not logged:\n%s", logs)
	}
	if st := statusOf(t, c, "fd00::12:80"); st.InService {
		t.Errorf("refused server reported in service: %+v", st)
	}
}

// TestExistingServiceIsAdopted: a service that exists already (from
// xlvsadm or --rules) is edited into shape rather than refused.
func TestExistingServiceIsAdopted(t *testing.T) {
	c, rec, _ := newChecker(t)
	for _, q := range Diff(nil, []api.Service{svc(80, "wlc", dst("127.0.0.11:80", 9), dst("127.0.0.13:80", 1))}) {
		rec.Do(q)
	}
	if err := c.Update([]Service{drService(80, real("127.0.0.11:80", 1), real("127.0.0.12:80", 1))}); err != nil {
		t.Fatal(err)
	}
	if got := poolString(rec.pool(tcpKey(80))); got != "127.0.0.11:80=1 127.0.0.12:80=1 127.0.0.13:80=1" {
		t.Errorf("pool %q", got)
	}
}
