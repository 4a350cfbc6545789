package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// env is one scenario's world: its lab, its director, its real-server
// processes and what it printed and checked. Scenarios build on it with
// the helpers below; teardown removes everything whatever happened.
type env struct {
	ctx    context.Context // the scenario's: its timeout, xlvsd's death, Ctrl-C
	o      *options
	out    io.Writer // the report (stdout)
	log    io.Writer // progress and xlvsd's log (stderr)
	lab    *netlab.Lab
	dir    string // temporary: control socket, xlvs-rs state files
	d      *director
	checks []check

	servers []*labtraffic.Server
	rsUp    []rsState // real servers xlvs-rs up has prepared and down has not undone
}

// rsState is one real server prepared by xlvs-rs.
type rsState struct {
	name  string
	ns    *netlab.NS
	state string // its --state file
}

// errStep is wrapped by the errors of a step that failed (a command that
// exited non-zero, a topology that could not be built): the scenario fails
// without its checks.
var errStep = errors.New("step failed")

// newEnv creates the scenario's lab and temporary directory.
func newEnv(ctx context.Context, o *options, name string, out, log io.Writer) (*env, error) {
	lab, err := netlab.New("xlvslab")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "xlvs-lab-"+name+"-")
	if err != nil {
		return nil, errors.Join(err, lab.Close())
	}
	return &env{ctx: ctx, o: o, out: out, log: log, lab: lab, dir: dir}, nil
}

// teardown undoes the scenario in reverse order: xlvs-rs down on the real
// servers still up, the traffic servers, xlvsd (SIGTERM), the lab, the
// temporary directory. It runs on a context of its own: a cancelled
// scenario still cleans up.
func (e *env) teardown() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), 30*time.Second)
	defer cancel()
	var errs []error
	if err := e.xlvsRSDown(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, s := range e.servers {
		s.Close()
	}
	if e.d != nil {
		if err := e.d.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	fmt.Fprintf(e.log, "lab: removing %s\n", e.lab.ID)
	if err := e.lab.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(e.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// printf writes to the scenario's report.
func (e *env) printf(format string, args ...any) { fmt.Fprintf(e.out, format, args...) }

// echo prints a command line as a shell transcript: "host# cmd args".
func (e *env) echo(host string, name string, args []string) {
	e.printf("%s# %s\n", host, shellJoin(append([]string{filepath.Base(name)}, args...)))
}

// exec runs name with args in ns (shown as host) and returns its combined
// output; a non-zero exit is an errStep carrying the output.
func (e *env) exec(ctx context.Context, host string, ns *netlab.NS, env []string, name string, args ...string) (string, error) {
	cmd := ns.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return out.String(), fmt.Errorf("%w: %s: %s %s: %v\n%s", errStep, host, filepath.Base(name), shellJoin(args), err, indent(out.String()))
	}
	return out.String(), nil
}

// adm runs xlvsadm in the director namespace against the scenario's
// xlvsd, echoing it.
func (e *env) adm(args ...string) (string, error) {
	e.echo("director", e.o.xlvsadm, args)
	return e.admQuiet(args...)
}

// admQuiet runs xlvsadm without echoing it (for checks).
func (e *env) admQuiet(args ...string) (string, error) {
	if e.d == nil {
		return "", fmt.Errorf("%w: xlvsadm %s: no director", errStep, shellJoin(args))
	}
	return e.exec(e.ctx, "director", e.d.ns, []string{"XLVS_SOCKET=" + e.d.socket}, e.o.xlvsadm, args...)
}

// admAll runs each xlvsadm command line in turn, stopping at the first
// failure.
func (e *env) admAll(cmds [][]string) error {
	for _, args := range cmds {
		if _, err := e.adm(args...); err != nil {
			return err
		}
	}
	return nil
}

// show runs xlvsadm and prints its output under its command line.
func (e *env) show(args ...string) (string, error) {
	e.printf("\n")
	out, err := e.adm(args...)
	e.printf("%s", out)
	return out, err
}

// xlvsRSUp runs `xlvs-rs up args... --state FILE` on each real server
// (names rs1, rs2, ...) and remembers them for xlvsRSDown.
func (e *env) xlvsRSUp(rs []*netlab.NS, args ...string) error {
	for i, ns := range rs {
		st := rsState{name: fmt.Sprintf("rs%d", i+1), ns: ns, state: filepath.Join(e.dir, fmt.Sprintf("xlvs-rs-rs%d.json", i+1))}
		full := append(append([]string{"up"}, args...), "--state", st.state)
		e.echo(st.name, e.o.xlvsRS, full)
		if _, err := e.exec(e.ctx, st.name, ns, nil, e.o.xlvsRS, full...); err != nil {
			return err
		}
		e.rsUp = append(e.rsUp, st)
	}
	return nil
}

// xlvsRSStatus returns `xlvs-rs status` of each real server set up, by
// name, without echoing.
func (e *env) xlvsRSStatus() (map[string]string, error) {
	st := map[string]string{}
	for _, r := range e.rsUp {
		out, err := e.exec(e.ctx, r.name, r.ns, nil, e.o.xlvsRS, "status", "--state", r.state)
		if err != nil {
			return nil, err
		}
		st[r.name] = out
	}
	return st, nil
}

// xlvsRSDown runs `xlvs-rs down` on the real servers set up, last first,
// echoing it. A failure is an error of the scenario: down must undo what
// up did.
func (e *env) xlvsRSDown(ctx context.Context) error {
	var errs []error
	for len(e.rsUp) > 0 {
		r := e.rsUp[len(e.rsUp)-1]
		e.rsUp = e.rsUp[:len(e.rsUp)-1]
		args := []string{"down", "--state", r.state}
		e.echo(r.name, e.o.xlvsRS, args)
		if _, err := e.exec(ctx, r.name, r.ns, nil, e.o.xlvsRS, args...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// serve starts a traffic server named rs<i+1> in each real server on the
// addresses tcp(i) and udp(i); teardown stops them. Addresses are usable
// at once: xlvs-rs up returns when its IPv6 VIPs can be bound, netlab
// when the topology's can.
func (e *env) serve(rs []*netlab.NS, tcp, udp func(i int) []string) error {
	return e.serveWith(labtraffic.Serve, rs, tcp, udp)
}

// serveWith is [env.serve] with the servers start makes ([labtraffic.Serve]
// or [labtraffic.ServeProxy]).
func (e *env) serveWith(start func(ns *netlab.NS, name string, tcp, udp []string) (*labtraffic.Server, error),
	rs []*netlab.NS, tcp, udp func(i int) []string) error {
	for i, ns := range rs {
		s, err := start(ns, fmt.Sprintf("rs%d", i+1), tcp(i), udp(i))
		if err != nil {
			return fmt.Errorf("%w: %v", errStep, err)
		}
		e.servers = append(e.servers, s)
	}
	return nil
}

// plan returns the scenario's traffic plan to the given targets with the
// command line's amounts.
func (e *env) plan(tcp, udp []string) labtraffic.Plan {
	return labtraffic.Plan{TCP: tcp, UDP: udp, Conns: e.o.conns, Bytes: e.o.bytes, Datagrams: e.o.datagrams}
}

// traffic runs plan from the client namespace and returns the report; a
// cancelled scenario (timeout, xlvsd died) is an error.
func (e *env) traffic(client *netlab.NS, plan labtraffic.Plan) (labtraffic.Report, error) {
	rep := labtraffic.Run(e.ctx, client, plan)
	if cause := context.Cause(e.ctx); cause != nil {
		return rep, cause
	}
	return rep, nil
}

// shellJoin joins args as a shell would need them, quoting those with
// spaces or shell metacharacters in single quotes.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// indent prefixes every line of s with four spaces.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
