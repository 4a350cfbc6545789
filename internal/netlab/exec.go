package netlab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reexecMarker is argv[0] of the helper process made by [NS.Command]: the
// current binary re-executed, which joins the namespace in init and execs
// the real program.
const reexecMarker = "netlab:nsexec"

// init turns this process into the target program inside the namespace when
// it was started by [NS.Command] (argv: marker, namespace path, program
// path, program argv...). During package initialisation the main goroutine
// is locked to the main thread, which is the thread that calls execve, so
// the program starts in the namespace. Other threads do not matter: execve
// replaces them all.
func init() {
	if len(os.Args) < 4 || os.Args[0] != reexecMarker {
		return
	}
	nsPath, prog, argv := os.Args[1], os.Args[2], os.Args[3:]
	fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab: enter namespace %s: %v\n", nsPath, err)
		os.Exit(126)
	}
	err = syscall.Exec(prog, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "netlab: exec %s: %v\n", prog, err)
	os.Exit(127)
}

// Command returns a command that runs name with args inside the namespace.
// Its Start, Run, Output and CombinedOutput methods work as usual; Env, Dir,
// stdio, SysProcAttr and Cancel may be set as usual. Mechanism: Path is
// /proc/self/exe and Args are prefixed with a marker, the namespace path and
// the program path (see the package doc), so inspect Args[3:] for the
// program's own arguments. The binary must import this package, which it
// does by calling Command. [Lab.Close] kills the process if still running.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return ns.wrap(exec.Command(name, args...))
}

// CommandContext is [NS.Command] with a context that kills the process
// when done, as [exec.CommandContext].
func (ns *NS) CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	return ns.wrap(exec.CommandContext(ctx, name, args...))
}

func (ns *NS) wrap(c *exec.Cmd) *exec.Cmd {
	if c.Err == nil { // on lookup errors leave c alone: Start reports c.Err
		c.Args = append([]string{reexecMarker, ns.Path, c.Path}, c.Args...)
		c.Path = "/proc/self/exe"
	}
	ns.Lab.registerCmd(c)
	return c
}

// Start starts c (built by exec.Command or anything else) inside the
// namespace: it forks from a thread that has joined the namespace, and a
// child inherits its parent thread's namespace. [Lab.Close] kills the
// process if still running.
func (ns *NS) Start(c *exec.Cmd) error {
	if ns.Lab.isClosed() {
		return ErrClosed
	}
	ns.Lab.registerCmd(c)
	return ns.Do(c.Start)
}

// Pids returns the processes (other than this one) whose main thread is in
// the namespace.
func (ns *NS) Pids() ([]int, error) {
	dev, ino, err := nsID(ns.Path)
	if err != nil {
		return nil, err
	}
	return pidsIn(dev, ino)
}

// killNSProcs SIGKILLs every process in ns and waits (up to 2s) for them to
// leave it, so the namespace can go away.
func killNSProcs(ns *NS) error {
	if ns.ino == 0 {
		return nil
	}
	dev, ino, err := nsID(ns.Path)
	if err != nil {
		return nil // not mounted (any more): nothing can be found by path
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		pids, err := pidsIn(dev, ino)
		if err != nil {
			return fmt.Errorf("netlab: processes in %s: %w", ns.Name, err)
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("netlab: processes %v still in namespace %s after SIGKILL", pids, ns.Name)
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func nsID(path string) (dev, ino uint64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, fmt.Errorf("netlab: stat %s: %w", path, err)
	}
	return st.Dev, st.Ino, nil
}

// pidsIn lists processes whose /proc/<pid>/ns/net is the namespace
// (dev, ino). Zombies have no namespace and are not listed.
func pidsIn(dev, ino uint64) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/net", &st) != nil {
			continue
		}
		if st.Dev == dev && st.Ino == ino {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
