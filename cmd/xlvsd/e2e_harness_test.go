package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// The binaries under test are built once per test process, into binDir.
var build struct {
	once sync.Once
	dir  string
	err  error
}

// binaries builds xlvsd, xlvsadm, xlvs-rs (and the ipvsadm symlink) with the go
// command on PATH (go test puts $GOROOT/bin first) and returns their
// directory. Tests that call it must already have checked for root.
func binaries(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "xlvs-e2e-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.dir = dir
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
			"github.com/xlvs/xlvs/cmd/xlvsd", "github.com/xlvs/xlvs/cmd/xlvsadm", "github.com/xlvs/xlvs/cmd/xlvs-rs")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		build.err = os.Symlink("xlvsadm", filepath.Join(dir, "ipvsadm"))
	})
	if build.err != nil {
		t.Fatalf("building the binaries: %v", build.err)
	}
	return build.dir
}

// removeBinaries deletes what binaries built; TestMain calls it.
func removeBinaries() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// harness is one test's world: a fresh DR lab, its real servers and the
// director's control socket path (shared by successive xlvsd runs).
type harness struct {
	t       *testing.T
	bin     string
	lab     *netlab.Lab
	dr      *labtraffic.DR
	servers []*labtraffic.Server
	socket  string
	runs    int
	env     []string // extra environment of xlvsd ("PATH=..."); nil: the test's
}

// newHarness builds the DR topology (o) in a lab unique to t and starts
// the real servers. Everything is removed when t ends, however it ends.
func newHarness(t *testing.T, name string, o labtraffic.DROptions) *harness {
	t.Helper()
	h := newLabHarness(t, name)
	dr, err := labtraffic.NewDR(h.lab, o)
	if err != nil {
		t.Fatalf("building the DR lab: %v", err)
	}
	h.serve(dr, dr.ServeRealServers)
	return h
}

// newLabHarness returns a harness with an empty lab unique to t (root
// required; the lab is removed when t ends) and a socket path: the caller
// builds a topology in h.lab and calls serve.
func newLabHarness(t *testing.T, name string) *harness {
	t.Helper()
	netlab.RequireRoot(t)
	h := &harness{t: t, bin: binaries(t)}
	h.lab = netlab.NewT(t, name)
	h.socket = filepath.Join(t.TempDir(), "xlvs.sock")
	return h
}

// serve makes dr the namespaces the harness drives (client, director,
// real servers) and starts the real servers with start; they are closed
// when the test ends.
func (h *harness) serve(dr *labtraffic.DR, start func() ([]*labtraffic.Server, error)) {
	h.t.Helper()
	h.dr = dr
	servers, err := start()
	if err != nil {
		h.t.Fatalf("starting the real servers: %v", err)
	}
	h.servers = servers
	h.t.Cleanup(func() {
		for _, s := range servers {
			s.Close()
		}
	})
}

// director is one run of the real xlvsd in the director namespace.
type director struct {
	h    *harness
	run  int
	cmd  *exec.Cmd
	log  *syncbuf.Buffer // xlvsd's stderr
	done chan struct{}   // closed when the process has been reaped
	err  error           // cmd.Wait's result, valid once done is closed
}

// startDirector runs `xlvsd --interface eth0 --socket <socket> extra...` in
// the director namespace and waits until its control socket answers. On
// any exit path of the test the run is stopped with SIGTERM (its exit code
// must be 0) and, if the test failed, its log is attached to the test log.
func (h *harness) startDirector(extra ...string) *director {
	t := h.t
	t.Helper()
	h.runs++
	d := &director{h: h, run: h.runs, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	// --verbose: next-hop changes and such in the log attached to a failure.
	args := append([]string{"--interface", "eth0", "--socket", h.socket, "--verbose"}, extra...)
	d.cmd = exec.Command(filepath.Join(h.bin, "xlvsd"), args...)
	if h.env != nil {
		d.cmd.Env = append(os.Environ(), h.env...)
	}
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := h.dr.Director.Start(d.cmd); err != nil {
		t.Fatalf("starting xlvsd: %v", err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("xlvsd run %d (%s) stderr:\n%s", d.run, d.cmd.String(), d.log)
		}
	})
	t.Cleanup(func() {
		select {
		case <-d.done:
			return
		default:
		}
		if code := d.terminate(); code != 0 {
			t.Errorf("xlvsd run %d: exit code %d after SIGTERM at cleanup, want 0", d.run, code)
		}
	})
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			if t.Failed() {
				t.Logf("xlvsd run %d counters at failure: %s", d.run, h.tryCounters())
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.Dial(h.socket)
		if err == nil {
			resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
			c.Close()
			if err == nil && resp.Err == nil {
				return d
			}
		}
		select {
		case <-d.done:
			t.Fatalf("xlvsd run %d exited during start-up (%v)", d.run, d.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("xlvsd run %d: control socket %s not ready after 30s: %v", d.run, h.socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// terminate sends SIGTERM, waits (SIGKILL after 30s) and returns the exit
// code, -1 for a death by signal.
func (d *director) terminate() int {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	return d.cmd.ProcessState.ExitCode()
}

// stop is how every test ends a run: SIGTERM, exit code 0 required. It
// returns xlvsd's complete log.
func (d *director) stop() string {
	t := d.h.t
	t.Helper()
	select {
	case <-d.done:
		t.Fatalf("xlvsd run %d had already exited (%v)", d.run, d.err)
	default:
	}
	if code := d.terminate(); code != 0 {
		t.Fatalf("xlvsd run %d: exit code %d after SIGTERM (%v), want 0", d.run, code, d.err)
	}
	return d.log.String()
}

// kill9 kills the run with SIGKILL and waits for it.
func (d *director) kill9() {
	t := d.h.t
	t.Helper()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 xlvsd: %v", err)
	}
	<-d.done
	if st := d.cmd.ProcessState; st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("xlvsd run %d after kill -9: %v", d.run, st)
	}
}

// result is what a command line tool did.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the tool prog ("xlvsadm" or "ipvsadm", invoked by that name) in
// the director namespace with XLVS_SOCKET set, as a user on the director
// would.
func (h *harness) cli(prog string, args ...string) result {
	t := h.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(h.bin, prog), args...)
	cmd.Args[0] = prog
	cmd.Env = append(os.Environ(), "XLVS_SOCKET="+h.socket)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := h.dr.Director.Start(cmd); err != nil {
		t.Fatalf("starting %s: %v", prog, err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %q: %v", prog, args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish within 30s", prog, args)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// adm runs xlvsadm and fails the test unless it succeeds; it returns the
// standard output.
func (h *harness) adm(args ...string) string {
	h.t.Helper()
	r := h.cli("xlvsadm", args...)
	if r.code != 0 || r.stderr != "" {
		h.t.Fatalf("xlvsadm %q: exit code %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// counters reads xlvsd's dataplane counters over the control socket.
func (h *harness) counters() map[string]uint64 {
	t := h.t
	t.Helper()
	c, err := client.Dial(h.socket)
	if err != nil {
		t.Fatalf("dial %s: %v", h.socket, err)
	}
	defer c.Close()
	resp, err := c.Do(&api.Request{Op: api.OpGetCounters})
	if err != nil {
		t.Fatalf("get counters: %v", err)
	}
	if resp.Err != nil {
		t.Fatalf("get counters refused: %v", resp.Err)
	}
	if len(resp.Counters) == 0 {
		t.Fatal("get counters: empty answer")
	}
	return resp.Counters
}

// quiesce waits until the workers have seen no frame for a second, so
// that counter deltas are mostly due to what the test sends next. A
// loaded machine can still deliver a late TCP retransmission after that:
// tests that count frames exactly must allow for forwarded ones.
func (h *harness) quiesce() {
	h.t.Helper()
	last := h.counters()["rx-packets"]
	since := time.Now()
	waitFor(h.t, 30*time.Second, func() (bool, string) {
		n := h.counters()["rx-packets"]
		if n != last {
			last, since = n, time.Now()
		}
		return time.Since(since) >= time.Second, "the workers keep receiving frames"
	})
}

// tryCounters returns the counters formatted for a failure message, or
// why they could not be read.
func (h *harness) tryCounters() string {
	c, err := client.Dial(h.socket)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	resp, err := c.Do(&api.Request{Op: api.OpGetCounters})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(resp.Counters)) {
		if v := resp.Counters[k]; v != 0 {
			fmt.Fprintf(&b, " %s=%d", k, v)
		}
	}
	return b.String()
}

// waitFor polls cond every 20ms until it reports true or limit passes; it
// then fails the test with cond's last explanation.
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
		time.Sleep(20 * time.Millisecond)
	}
}

// traffic runs plan from the client and fails the test unless every
// round-trip checked out byte for byte. A round-trip may take up to 30 s
// unless the plan says otherwise: on a loaded machine the first SYNs to a
// real server whose neighbour xlvsd is still resolving are dropped, and
// TCP resends them after 1 s, 3 s, 7 s, ...; labtraffic's default of 5 s
// is too tight for that.
func (h *harness) traffic(plan labtraffic.Plan) labtraffic.Report {
	h.t.Helper()
	if plan.Timeout == 0 {
		plan.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep := labtraffic.Run(ctx, h.dr.Client, plan)
	if !rep.OK() {
		h.t.Fatalf("traffic failed:\n%s", rep)
	}
	h.t.Logf("traffic:\n%s", rep)
	return rep
}

// tcpConns returns how many TCP connections each real server accepted so
// far, by server name.
func (h *harness) tcpConns() map[string]int64 {
	m := map[string]int64{}
	for _, s := range h.servers {
		m[s.Name()] = s.Stats().TCPConns
	}
	return m
}
