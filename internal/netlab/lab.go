package netlab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

// Errors returned by the lab.
var (
	// ErrClosed is returned when a closed lab is asked to create something.
	ErrClosed = errors.New("netlab: lab is closed")
	// ErrBadName is returned for names that are empty or contain characters
	// that do not belong in a namespace or interface name.
	ErrBadName = errors.New("netlab: invalid name")
)

// Lab owns a set of network namespaces, the links between them and the
// processes started inside them. Create one with [New] or [NewT]; remove
// everything with [Lab.Close].
type Lab struct {
	// ID is the lab's unique identifier, "<name>-<8 hex digits>". Every
	// namespace name ends with "-"+ID.
	ID string

	mu        sync.Mutex
	closed    bool
	nss       []*NS
	hostLinks []string // links created in the caller's namespace, by name
	cmds      []*exec.Cmd
	closers   []io.Closer // bpf links and the like
}

// RequireRoot skips the test unless it runs as root, which creating network
// namespaces and links needs (CAP_NET_ADMIN, CAP_SYS_ADMIN for the mounts).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netlab: this test creates network namespaces and needs root (CAP_NET_ADMIN): run as root, e.g. go test -exec sudo")
	}
}

// New returns an empty lab whose ID is name plus a random suffix. name must
// be short (namespace names are name+"-"+ns+"-"+8 hex digits) and consist of
// letters, digits, '-' and '_'. The first New of a process also removes the
// leftovers of labs whose process died without closing them ([SweepStale]).
func New(name string) (*Lab, error) {
	if err := checkName(name, 32); err != nil {
		return nil, err
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("netlab: random lab id: %w", err)
	}
	if os.Geteuid() == 0 {
		sweepOnce.Do(func() { _ = SweepStale() })
	}
	l := &Lab{ID: name + "-" + hex.EncodeToString(b[:])}
	if os.Geteuid() == 0 {
		l.writeState()
	}
	return l, nil
}

// NewT skips the test unless running as root, creates a lab named name and
// registers [Lab.Close] with t.Cleanup, failing the test if Close reports an
// error.
func NewT(t testing.TB, name string) *Lab {
	t.Helper()
	RequireRoot(t)
	lab, err := New(name)
	if err != nil {
		t.Fatalf("netlab.New(%q): %v", name, err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("netlab: closing lab %s: %v", lab.ID, err)
		}
	})
	return lab
}

// NSs returns the lab's namespaces in creation order.
func (l *Lab) NSs() []*NS {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*NS(nil), l.nss...)
}

// Close kills the processes still running in the lab's namespaces, deletes
// the links it created outside them and removes the namespaces (unmount and
// delete of /run/netns/<name>). It keeps going after errors and returns them
// all joined. Calling Close again does nothing and returns nil.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	nss, hostLinks, cmds, closers := l.nss, l.hostLinks, l.cmds, l.closers
	l.nss, l.hostLinks, l.cmds, l.closers = nil, nil, nil, nil
	l.mu.Unlock()

	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("netlab: %w", err))
		}
	}
	for _, c := range cmds {
		if c.Process != nil {
			_ = c.Process.Kill() // "already finished" is fine
		}
	}
	for _, ns := range nss {
		if err := killNSProcs(ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range hostLinks {
		if link, err := netlink.LinkByName(name); err == nil {
			if err := netlink.LinkDel(link); err != nil {
				errs = append(errs, fmt.Errorf("netlab: delete link %s: %w", name, err))
			}
		}
	}
	for i := len(nss) - 1; i >= 0; i-- {
		if err := nss[i].remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		l.removeState()
	}
	return errors.Join(errs...)
}

// CloseOnSignal makes the lab close itself when the process receives SIGINT
// or SIGTERM, then calls exit(1) (after closing). It returns a function that
// stops watching. Programs such as xlvs-lab use it so that Ctrl-C never
// leaves namespaces behind; tests use t.Cleanup instead.
func (l *Lab) CloseOnSignal(exit func(code int)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "netlab: %v: removing lab %s\n", sig, l.ID)
			if err := l.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "netlab: %v\n", err)
			}
			if exit != nil {
				exit(1)
			}
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}

// register records a namespace; it fails if the lab is closed.
func (l *Lab) register(ns *NS) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.nss = append(l.nss, ns)
	return nil
}

func (l *Lab) registerHostLink(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hostLinks = append(l.hostLinks, name)
	l.appendState("link " + name)
}

func (l *Lab) registerCmd(c *exec.Cmd) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = append(l.cmds, c)
}

func (l *Lab) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// checkName accepts [A-Za-z0-9_-]{1,max} (and '.' which interfaces allow).
func checkName(name string, max int) error {
	if name == "" || len(name) > max {
		return fmt.Errorf("%w %q: must be 1-%d characters", ErrBadName, name, max)
	}
	if strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 || name == "." || name == ".." {
		return fmt.Errorf("%w %q: use letters, digits, '-', '_' and '.'", ErrBadName, name)
	}
	return nil
}
