package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// director is xlvsd running in the director namespace.
type director struct {
	o      *options
	dr     *labtraffic.DR
	cmd    *exec.Cmd
	dir    string // temporary directory holding the control socket
	socket string
	ctx    context.Context // cancelled with a cause when xlvsd exits
	cancel context.CancelCauseFunc
	exited chan struct{}
	err    error // xlvsd's exit, valid once exited is closed
	logw   *prefixWriter
}

// errDirectorDied is the cause of d.ctx when xlvsd exits on its own.
var errDirectorDied = errors.New("xlvsd exited")

// startDirector starts `xlvsd --interface eth0 --socket <tmp>/xlvs.sock` in
// the director namespace, its stderr (and stdout) on stderr prefixed with
// "xlvsd: ", and waits until the control socket accepts connections.
func startDirector(ctx context.Context, o *options, dr *labtraffic.DR, stderr io.Writer) (*director, error) {
	dir, err := os.MkdirTemp("", "xlvs-lab-")
	if err != nil {
		return nil, err
	}
	d := &director{o: o, dr: dr, dir: dir, socket: filepath.Join(dir, "xlvs.sock"), exited: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancelCause(ctx)
	args := []string{"--interface", "eth0", "--socket", d.socket}
	if o.verbose {
		args = append(args, "--verbose")
	}
	d.cmd = dr.Director.Command(o.xlvsd, args...)
	d.logw = &prefixWriter{w: stderr, prefix: "xlvsd: "}
	d.cmd.Stdout, d.cmd.Stderr = d.logw, d.logw
	// Its own process group: Ctrl-C reaches only us, and we stop xlvsd in
	// order (SIGTERM, so it detaches XDP) after the lab is done with it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	d.cmd.WaitDelay = 5 * time.Second
	fmt.Fprintf(stderr, "lab: starting %s %s in %s\n", o.xlvsd, strings.Join(args, " "), dr.Director.Name)
	if err := d.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start xlvsd: %w", err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
		d.cancel(fmt.Errorf("%w: %v", errDirectorDied, exitText(d.err)))
	}()
	if err := d.waitSocket(10 * time.Second); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
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

// configure creates the virtual services: TCP :80 and UDP :53 on both
// VIPs, scheduler rr, every real server in DR mode.
func (d *director) configure(ctx context.Context, nRS int, stderr io.Writer) error {
	type svc struct {
		flag string
		vip  netip.Addr
		port uint16
	}
	services := []svc{
		{"-t", labtraffic.VIP4, labtraffic.TCPPort},
		{"-u", labtraffic.VIP4, labtraffic.UDPPort},
		{"-t", labtraffic.VIP6, labtraffic.TCPPort},
		{"-u", labtraffic.VIP6, labtraffic.UDPPort},
	}
	for _, s := range services {
		vip := netip.AddrPortFrom(s.vip, s.port).String()
		cmds := [][]string{{"-A", s.flag, vip, "-s", "rr"}}
		for i := range nRS {
			rip := labtraffic.RSAddr4(i)
			if s.vip.Is6() {
				rip = labtraffic.RSAddr6(i)
			}
			cmds = append(cmds, []string{"-a", s.flag, vip, "-r", netip.AddrPortFrom(rip, s.port).String(), "-g"})
		}
		for _, args := range cmds {
			fmt.Fprintf(stderr, "+ xlvsadm %s\n", strings.Join(args, " "))
			if out, err := d.xlvsadm(ctx, args...); err != nil {
				return fmt.Errorf("xlvsadm %s: %w\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
	return nil
}

// xlvsadm runs xlvsadm with args in the director namespace against the
// lab's socket and returns its combined output.
func (d *director) xlvsadm(ctx context.Context, args ...string) ([]byte, error) {
	cmd := d.dr.Director.CommandContext(ctx, d.o.xlvsadm, args...)
	cmd.Env = append(os.Environ(), "XLVS_SOCKET="+d.socket)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cause := context.Cause(ctx); err != nil && cause != nil {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	return out.Bytes(), err
}

// stop sends SIGTERM, waits for xlvsd to exit (SIGKILL after 5s) and
// removes the socket directory. It reports an xlvsd that had died before,
// or that did not exit cleanly.
func (d *director) stop() error {
	defer os.RemoveAll(d.dir)
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
