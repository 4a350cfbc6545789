package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// proc is a program the harness started in a namespace.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
	err  error
}

// startIn starts bin with args in ns; stdout and stderr are collected
// (stdout alone in stdout when it is not nil).
func startIn(ns *netlab.NS, stdout *syncbuf.Buffer, bin string, args ...string) (*proc, error) {
	p := &proc{name: bin[strings.LastIndexByte(bin, '/')+1:], out: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = ns.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to limit for the process to end by itself and returns its
// exit error; past the limit it is stopped.
func (p *proc) wait(limit time.Duration) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w\n%s", p.name, p.err, p.out)
		}
		return nil
	case <-time.After(limit):
		p.stop()
		return fmt.Errorf("%s did not finish in %v\n%s", p.name, limit, p.out)
	}
}

// stop sends SIGTERM, waits up to 5 s, then kills. It returns the exit
// error of a process that did not exit cleanly.
func (p *proc) stop() error {
	if p.exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s ignored SIGTERM for 5s", p.name)
	}
}

// rssBytes returns the resident set size of the process (VmRSS).
func (p *proc) rssBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.cmd.Process.Pid)
}
