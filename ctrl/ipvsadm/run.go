package ipvsadm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
)

// Client sends one request to xlvsd (or to an in-process model in tests).
type Client interface {
	Do(req *api.Request) (*api.Response, error)
}

// Main runs one ipvsadm invocation: args excludes argv[0]; prog is the name
// used in messages ("ipvsadm" when invoked under that name, else the base
// name of argv[0]). It returns the exit code. dial is called at most once,
// and only when a command needs the daemon.
func Main(prog string, args []string, stdin io.Reader, stdout, stderr io.Writer, dial func() (Client, error)) int {
	e := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Dial: dial}
	return e.Run(prog, args)
}

// Env is where an invocation runs: its streams, how to reach the daemon and
// how to resolve names. Zero fields get defaults: no input, discarded
// output, [SystemNames], the socket path from $XLVS_SOCKET or
// /run/xlvs/xlvs.sock in messages.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Dial           func() (Client, error)
	Names          Names
	// Socket is the control socket named when the daemon cannot be reached.
	Socket string
}

// Run runs one invocation (args excludes argv[0]) and returns its exit code.
func (e *Env) Run(prog string, args []string) int {
	r := &run{env: e, prog: prog, names: e.Names}
	if r.names == nil {
		r.names = SystemNames()
	}
	r.names = newCachedNames(r.names)
	r.out = bufio.NewWriter(orDiscard(e.Stdout))
	r.errw = orDiscard(e.Stderr)
	defer func() {
		r.out.Flush()
		if c, ok := r.client.(io.Closer); ok {
			c.Close()
		}
	}()
	code, _ := r.process(args, false)
	return code
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// run is the state of one invocation.
type run struct {
	env    *Env
	prog   string
	names  Names
	out    *bufio.Writer
	errw   io.Writer
	client Client
}

// errorf prints one line on stderr, after flushing what stdout holds so
// that a terminal shows both in the order they were produced.
func (r *run) errorf(format string, args ...any) {
	r.out.Flush()
	fmt.Fprintf(r.errw, format+"\n", args...)
}

// process is process_options(): parse one command line and run it. It
// returns the line's status and whether the whole program ends with it
// (exit() in ipvsadm) rather than returning it.
func (r *run) process(args []string, fromStdin bool) (code int, exit bool) {
	cmd, err := ParseWith(r.prog, args, r.names)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			r.errorf("%s", err)
			return ExitFail, true
		}
		r.errorf("%s", pe.msg)
		return pe.Code(), pe.kind != kindPopt
	}
	switch cmd.Cmd {
	case CmdHelp:
		writeUsage(r.out, r.prog)
		return ExitOK, true
	case CmdVersion:
		r.out.WriteString(versionLine)
		return ExitOK, true
	case CmdRestore:
		if fromStdin {
			r.errorf("%s", tryHelp(r.prog).msg)
			return ExitRefused, true
		}
		return r.restore()
	case CmdStartDaemon, CmdStopDaemon:
		return r.daemon(cmd)
	case CmdList:
		if cmd.Opts.Has(OptDaemon) {
			return r.listDaemons()
		}
		return r.list(cmd)
	case CmdSave:
		return r.save(cmd)
	case CmdAddLaddr, CmdDelLaddr, CmdGetLaddr:
		return r.laddr(cmd)
	}
	return r.set(cmd)
}

// connect dials the daemon once; on failure it prints ipvsadm's
// initialisation failure, adapted to xlvsd.
func (r *run) connect() bool {
	if r.client != nil {
		return true
	}
	var err error
	var c Client
	if r.env.Dial == nil {
		err = errors.New("no way to reach xlvsd")
	} else {
		c, err = r.env.Dial()
	}
	if err == nil && c == nil {
		err = errors.New("no client")
	}
	if err == nil {
		r.client = c
	} else {
		sock := r.env.Socket
		if sock == "" {
			sock = client.SocketPath()
		}
		r.errorf("Can't initialize ipvs: %s\nAre you sure that xlvsd is running and serving its control socket at %s (set XLVS_SOCKET to use another)?",
			dialReason(err), sock)
		return false
	}
	return true
}

// dialReason is the text after "Can't initialize ipvs: ".
func dialReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if errno == syscall.EACCES || errno == syscall.EPERM {
			return "Permission denied (you must be root)"
		}
		return strerror(errno)
	}
	return err.Error()
}

// do sends req. On failure it prints the error text for the request and
// returns false.
func (r *run) do(req *api.Request) (*api.Response, bool) {
	resp, err := r.client.Do(req)
	if err == nil && resp == nil {
		err = errors.New("empty response from xlvsd")
	}
	if err == nil && resp.Err != nil {
		err = resp.Err
	}
	if err != nil {
		r.errorf("%s", requestErrorText(funcOf(req.Op), err))
		return nil, false
	}
	return resp, true
}
