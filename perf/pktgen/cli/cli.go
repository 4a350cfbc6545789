package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"github.com/vishvananda/netlink"

	"github.com/xlvs/xlvs/internal/affinity"
)

// Exit codes of [Main].
const (
	ExitOK = 0
	// ExitFail is a failure while running (a missing interface, a kernel
	// refusal, a target rate not reached).
	ExitFail = 1
	// ExitUsage is a bad command line.
	ExitUsage = 2
)

const usage = `usage: xlvs-pktgen COMMAND [flags]

commands:
  send      generate traffic out of an interface (live frames or AF_XDP TX)
  sink      count the TCP/UDP frames arriving on an interface, per second
  forward   bare AF_XDP forwarder: receive on --in, send on --out (the userspace ceiling)
  reflect   kernel XDP forwarder: redirect from --in to --out (the kernel's upper bound)

Run "xlvs-pktgen COMMAND --help" for the flags of a command.
`

// env is what a command writes to.
type env struct {
	stdout, stderr io.Writer
	// tty is true when stdout is a terminal: live progress is printed.
	tty bool
	// stop is closed on SIGINT/SIGTERM.
	stop <-chan struct{}
}

// Main runs xlvs-pktgen with args (without the program name) and returns
// its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	e := &env{stdout: stdout, stderr: stderr, tty: isTerminal(stdout), stop: interrupted()}
	cmds := map[string]func(*env, []string) error{
		"send": runSend, "sink": runSink, "forward": runForward, "reflect": runReflect,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "xlvs-pktgen: unknown command %q\n%s", args[0], usage)
		return ExitUsage
	}
	err := cmd(e, args[1:])
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, pflag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "xlvs-pktgen %s: %v\n", args[0], err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "xlvs-pktgen %s: %v\n", args[0], err)
	return ExitFail
}

// errUsage marks command-line errors.
var errUsage = errors.New("bad usage")

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// flagSet returns a flag set whose errors are returned, not printed twice.
func flagSet(e *env, name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("xlvs-pktgen "+name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// interrupted returns a channel closed on the first SIGINT or SIGTERM.
func interrupted() <-chan struct{} {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	stop := make(chan struct{})
	go func() {
		<-ch
		close(stop)
	}()
	return stop
}

// link returns the interface named name, saying so when it is missing.
func link(name string) (netlink.Link, error) {
	if name == "" {
		return nil, usageErr("--dev (or --in/--out) is required")
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	return l, nil
}

// pin locks the calling goroutine to its thread and pins it to cpu (-1:
// not pinned).
func pin(cpu int) error {
	runtime.LockOSThread()
	if cpu < 0 {
		return nil
	}
	if cpu >= runtime.NumCPU() {
		return usageErr("--cpu %d: this machine has CPUs 0..%d", cpu, runtime.NumCPU()-1)
	}
	if err := affinity.Pin(cpu); err != nil {
		return fmt.Errorf("pin to CPU %d: %w", cpu, err)
	}
	return nil
}

// parseRate parses a frame rate: a number with an optional k, M or G
// suffix ("1.5M"), frames per second; "0" or "max" is flat out.
func parseRate(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1e9, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, usageErr("--rate %q: want frames per second, e.g. 500k, 2M, or max", s)
	}
	return v * mult, nil
}

// parseMAC parses a MAC address flag (empty: nil).
func parseMAC(flag, s string) (net.HardwareAddr, error) {
	if s == "" {
		return nil, nil
	}
	m, err := net.ParseMAC(s)
	if err != nil || len(m) != 6 {
		return nil, usageErr("--%s %q: want an Ethernet address like 02:00:00:00:00:01", flag, s)
	}
	return m, nil
}

// mpps formats a rate in Mpps.
func mpps(pps float64) string { return strconv.FormatFloat(pps/1e6, 'f', 3, 64) + " Mpps" }

// seconds formats a duration in seconds with one decimal.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s" }
