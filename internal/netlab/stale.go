package netlab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// StateDir holds one small file per live lab ("pid <pid> <start time>" and
// "link <name>" lines for links made outside the lab's namespaces), so that
// the leftovers of a process that died without closing its lab (SIGKILL, a
// `go test` timeout) can be found and removed later by [SweepStale].
const StateDir = "/run/netlab"

var sweepOnce sync.Once

// writeState records the lab's owner; best effort, as the state only
// serves later sweeps.
func (l *Lab) writeState() {
	start, err := procStartTime(os.Getpid())
	if err != nil {
		return
	}
	if os.MkdirAll(StateDir, 0o755) != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(StateDir, l.ID), fmt.Appendf(nil, "pid %d %s\n", os.Getpid(), start), 0o644)
}

func (l *Lab) appendState(line string) {
	f, err := os.OpenFile(filepath.Join(StateDir, l.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteString(line + "\n")
	f.Close()
}

func (l *Lab) removeState() {
	_ = os.Remove(filepath.Join(StateDir, l.ID))
}

// SweepStale removes the namespaces, host links and processes of labs
// whose owning process is gone. [New] runs it once per process; programs
// may call it explicitly. Labs of live processes are never touched.
func SweepStale() error {
	ents, err := os.ReadDir(StateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netlab: sweep: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if err := sweepLab(e.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sweepLab(id string) error {
	path := filepath.Join(StateDir, id)
	f, err := os.Open(path)
	if err != nil {
		return nil // another sweeper got it
	}
	var links []string
	alive := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "pid":
			pid, _ := strconv.Atoi(fields[1])
			start, err := procStartTime(pid)
			alive = err == nil && start == fields[2]
		case len(fields) == 2 && fields[0] == "link":
			links = append(links, fields[1])
		}
	}
	f.Close()
	if alive {
		return nil
	}
	var errs []error
	nss, _ := filepath.Glob(filepath.Join(RunDir, "*-"+id))
	for _, p := range nss {
		ns := &NS{Name: filepath.Base(p), Path: p, Handle: -1}
		if _, ino, err := nsID(p); err == nil {
			ns.ino = ino
		}
		if err := killNSProcs(ns); err != nil {
			errs = append(errs, err)
		}
		if err := ns.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range links {
		if link, err := netlink.LinkByName(name); err == nil {
			_ = netlink.LinkDel(link)
		}
	}
	if len(errs) == 0 {
		_ = os.Remove(path)
	}
	return errors.Join(errs...)
}

// procStartTime returns field 22 of /proc/<pid>/stat (start time in clock
// ticks since boot), which with the pid identifies a process.
func procStartTime(pid int) (string, error) {
	if pid <= 0 {
		return "", unix.ESRCH
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // comm may contain spaces
	if i < 0 {
		return "", fmt.Errorf("netlab: unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:]) // fields[0] is field 3 (state)
	if len(fields) < 20 {
		return "", fmt.Errorf("netlab: short /proc/%d/stat", pid)
	}
	return fields[19], nil
}
