package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// director is xlvsd running in a scenario's director namespace.
type director struct {
	ns     *netlab.NS
	cmd    *exec.Cmd
	socket string
	ctx    context.Context // cancelled with a cause when xlvsd exits
	cancel context.CancelCauseFunc
	exited chan struct{}
	err    error // xlvsd's exit, valid once exited is closed
	logw   *prefixWriter
	logbuf *syncBuffer // xlvsd's log, shown when the scenario fails
}

// errDirectorDied is the cause of d.ctx when xlvsd exits on its own.
var errDirectorDied = errors.New("xlvsd exited")

// startDirector starts `xlvsd args...` in ns with XLVS_SOCKET pointing
// into the scenario's directory (xlvsd and xlvsadm both read it), waits
// until the control socket accepts connections and makes the scenario's
// context end when xlvsd dies. Its log goes to a buffer (and with
// --verbose also to the log, live), prefixed "xlvsd: ".
func (e *env) startDirector(ns *netlab.NS, args ...string) error {
	d := &director{ns: ns, socket: filepath.Join(e.dir, "xlvs.sock"), exited: make(chan struct{}), logbuf: &syncBuffer{}}
	d.ctx, d.cancel = context.WithCancelCause(e.ctx)
	if e.o.verbose {
		args = append(args, "--verbose")
	}
	e.printf("director# %s %s &\n", filepath.Base(e.o.xlvsd), shellJoin(args))
	d.cmd = ns.Command(e.o.xlvsd, args...)
	d.cmd.Env = append(os.Environ(), "XLVS_SOCKET="+d.socket)
	var logw io.Writer = d.logbuf
	if e.o.verbose {
		logw = io.MultiWriter(d.logbuf, e.log)
	}
	d.logw = &prefixWriter{w: logw, prefix: "xlvsd: "}
	d.cmd.Stdout, d.cmd.Stderr = d.logw, d.logw
	// Its own process group: Ctrl-C reaches only us, and we stop xlvsd in
	// order (SIGTERM, so it detaches XDP) after the scenario is done with it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	d.cmd.WaitDelay = 5 * time.Second
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("%w: start xlvsd: %v", errStep, err)
	}
	e.d = d
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
		d.cancel(fmt.Errorf("%w: %v", errDirectorDied, exitText(d.err)))
	}()
	e.ctx = d.ctx
	return d.waitSocket(10 * time.Second)
}

// waitSocket polls the control socket until it accepts a connection.
func (d *director) waitSocket(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("unix", d.socket, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if cause := context.Cause(d.ctx); cause != nil {
			return fmt.Errorf("waiting for %s: %w", d.socket, cause)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("xlvsd control socket %s not ready after %v: %w", d.socket, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for xlvsd to exit (SIGKILL after 5s). It
// reports an xlvsd that had died before, or that did not exit cleanly.
func (d *director) stop() error {
	defer d.logw.Flush()
	select {
	case <-d.exited:
		return fmt.Errorf("%w early: %v", errDirectorDied, exitText(d.err))
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return errors.New("xlvsd did not exit within 5s of SIGTERM; killed")
	}
	if d.err != nil {
		return fmt.Errorf("xlvsd did not exit cleanly on SIGTERM: %v", exitText(d.err))
	}
	return nil
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
