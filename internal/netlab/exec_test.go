package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// helperEnv makes the test binary act as a small program instead of
// running tests: "links" prints its interface names, "sleep" blocks.
const helperEnv = "NETLAB_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "links":
		ifs, err := net.Interfaces()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, i := range ifs {
			fmt.Println(i.Name)
		}
		os.Exit(0)
	case "leak": // make a lab and die without closing it
		lab, err := New("leak")
		if err == nil {
			var ns *NS
			if ns, err = lab.AddNS("a"); err == nil {
				host := "lk" + lab.ID[len(lab.ID)-8:]
				if err = lab.Veth(nil, host, ns, "eth0", LinkOptions{}); err == nil {
					fmt.Println(ns.Path, host)
					os.Exit(0)
				}
			}
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	case "signal": // a lab program waiting to be interrupted
		lab, err := New("sig")
		if err != nil {
			os.Exit(3)
		}
		lab.CloseOnSignal(os.Exit)
		ns, err := lab.AddNS("a")
		if err != nil {
			os.Exit(3)
		}
		fmt.Println(ns.Path)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(2)
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestCommandRunsInsideNamespace(t *testing.T) {
	lab := NewT(t, "cmd")
	a, _ := pair(t, lab, LinkOptions{})
	if err := addExtra(t, a); err != nil {
		t.Fatal(err)
	}
	cmd := a.Command(self(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=links")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, stderr.Bytes())
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	if want := []string{"eth0", "extra0", "lo"}; !slices.Equal(got, want) {
		t.Errorf("interfaces seen by command = %v, want %v", got, want)
	}

	// Start with an ordinary exec.Cmd.
	plain := exec.Command(self(t), "-test.run=^$")
	plain.Env = cmd.Env
	var buf bytes.Buffer
	plain.Stdout = &buf
	if err := a.Start(plain); err != nil {
		t.Fatal(err)
	}
	if err := plain.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(buf.String()); !slices.Contains(got, "extra0") {
		t.Errorf("interfaces seen by Start-ed command = %v, want extra0 among them", got)
	}

	missing := a.Command("netlab-no-such-program")
	if err := missing.Run(); err == nil {
		t.Error("running a missing program succeeded")
	}
}

// addExtra adds a second interface so the namespace's view is recognisable.
func addExtra(t *testing.T, ns *NS) error {
	t.Helper()
	other := mustNS(t, ns.Lab, "peer2")
	return ns.Lab.Veth(ns, "extra0", other, "extra0", LinkOptions{})
}

func TestCloseKillsProcesses(t *testing.T) {
	RequireRoot(t)
	lab, err := New("kill")
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	a := mustNS(t, lab, "a")
	var cmds []*exec.Cmd
	c1 := a.Command(self(t), "-test.run=^$")
	c2 := exec.CommandContext(context.Background(), self(t), "-test.run=^$")
	for _, c := range []*exec.Cmd{c1, c2} {
		c.Env = append(os.Environ(), helperEnv+"=sleep")
	}
	if err := c1.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(c2); err != nil {
		t.Fatal(err)
	}
	cmds = append(cmds, c1, c2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := a.Pids()
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes in %s: %v, want 2", a.Name, pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		err := c.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys() == nil || !strings.Contains(ee.Error(), "killed") {
			t.Errorf("process after Close: Wait = %v, want killed", err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("processes outlived Close by %v", d)
	}
}

func TestSysctlIsPerNamespace(t *testing.T) {
	lab := NewT(t, "sysctl")
	a := mustNS(t, lab, "a")
	b := mustNS(t, lab, "b")
	host, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "0", "1"} {
		if err := a.SetSysctl("net/ipv4/ip_forward", v); err != nil {
			t.Fatal(err)
		}
		if got, err := a.Sysctl("net.ipv4.ip_forward"); err != nil || got != v {
			t.Errorf("ip_forward in a = %q (%v), want %q", got, err, v)
		}
	}
	if got, err := b.Sysctl("net/ipv4/ip_forward"); err != nil || got != "0" {
		t.Errorf("ip_forward in b = %q (%v), want untouched 0", got, err)
	}
	if now, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); !bytes.Equal(now, host) {
		t.Errorf("host ip_forward changed from %q to %q", host, now)
	}
	if err := a.SetSysctl("../../etc/passwd", "x"); err == nil {
		t.Error("sysctl path escaping /proc/sys accepted")
	}
}

func TestDoRunsInsideAndRestores(t *testing.T) {
	lab := NewT(t, "do")
	a, _ := pair(t, lab, LinkOptions{})
	var inside []net.Interface
	if err := a.Do(func() error {
		var err error
		inside, err = net.Interfaces()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(inside, func(i net.Interface) bool { return i.Name == "eth0" }) || len(inside) != 2 {
		t.Errorf("interfaces inside = %v, want lo and eth0", inside)
	}
	sentinel := errors.New("sentinel")
	if err := a.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do error = %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic from fn", r)
			}
		}()
		_ = a.Do(func() error { panic("boom") })
	}()
	// No thread of this process was left inside the lab's namespaces.
	for i := 0; i < 50; i++ {
		_ = a.Do(func() error { return nil })
	}
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/task/" + e.Name() + "/ns/net")
		if l == fmt.Sprintf("net:[%d]", a.ino) {
			t.Errorf("thread %s left in namespace %s", e.Name(), a.Name)
		}
	}
}

func TestSweepStaleRemovesDeadLabsOnly(t *testing.T) {
	live := NewT(t, "live")
	mine := mustNS(t, live, "a")
	cmd := exec.Command(self(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=leak")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("leak helper: %v", err)
	}
	var nsPath, host string
	if _, err := fmt.Sscan(string(out), &nsPath, &host); err != nil {
		t.Fatalf("leak helper output %q: %v", out, err)
	}
	t.Cleanup(func() { // in case the sweep fails
		_ = (&NS{Path: nsPath, Handle: -1}).remove()
		if l, err := netlink.LinkByName(host); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	if _, err := os.Stat(nsPath); err != nil {
		t.Fatalf("leaked namespace %s not there: %v", nsPath, err)
	}
	if err := SweepStale(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(nsPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale namespace %s survived the sweep", nsPath)
	}
	if _, err := netlink.LinkByName(host); err == nil {
		t.Errorf("stale host link %s survived the sweep", host)
	}
	if _, err := os.Stat(mine.Path); err != nil {
		t.Errorf("sweep removed live lab's namespace %s: %v", mine.Path, err)
	}
}

func TestCloseOnSignal(t *testing.T) {
	RequireRoot(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd := exec.Command(self(t), "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=signal")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var path string
		if _, err := fmt.Fscanln(out, &path); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("signal helper: %v", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("helper's namespace: %v", err)
		}
		cmd.Process.Signal(sig)
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("after %v: helper exit = %v, want status 1", sig, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after %v: %s still exists", sig, path)
			_ = (&NS{Path: path, Handle: -1}).remove()
		}
	}
}
