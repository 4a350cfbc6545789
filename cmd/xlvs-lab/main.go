package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
)

// options are the command-line settings.
type options struct {
	xlvsd, xlvsadm, xlvsRS string
	scenarios              []string // --scenario; empty: all
	list                   bool
	noDirector             bool
	keep                   bool
	verbose                bool
	queues                 int
	realServers            int
	conns                  int
	bytes                  int
	datagrams              int
	timeout                time.Duration
}

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("xlvs-lab", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.xlvsd, "xlvsd", "./bin/xlvsd", "path of the xlvsd binary")
	fs.StringVar(&o.xlvsadm, "xlvsadm", "./bin/xlvsadm", "path of the xlvsadm binary")
	fs.StringVar(&o.xlvsRS, "xlvs-rs", "./bin/xlvs-rs", "path of the xlvs-rs binary (run on the real servers)")
	fs.StringArrayVar(&o.scenarios, "scenario", nil, "run this scenario (repeatable; default: all, see --list)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.BoolVar(&o.noDirector, "no-director", false, "no xlvsd: build the dr topology and send the traffic to the real servers' own addresses")
	fs.BoolVar(&o.keep, "keep", false, "keep the lab (and xlvsd) of the one scenario run after its checks, until Ctrl-C")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "run xlvsd with --verbose and show its log as it goes")
	fs.IntVar(&o.queues, "queues", 1, "queues of the director's links (xlvsd runs one worker per queue)")
	fs.IntVar(&o.realServers, "real-servers", 2, "number of real servers (1-8)")
	fs.IntVar(&o.conns, "conns", 20, "TCP connections per service (and per client for persist)")
	fs.IntVar(&o.bytes, "bytes", 48<<10, "bytes each way per TCP connection")
	fs.IntVar(&o.datagrams, "datagrams", 20, "UDP round-trips per service (and per client for persist)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up on a scenario after this long")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case o.queues < 1 || o.queues > 64:
		return nil, fmt.Errorf("%w: invalid --queues %d: must be 1..64", errUsage, o.queues)
	case o.realServers < 1 || o.realServers > 8:
		return nil, fmt.Errorf("%w: invalid --real-servers %d: must be 1..8", errUsage, o.realServers)
	case o.conns < 1 || o.datagrams < 1 || o.bytes < 1:
		return nil, fmt.Errorf("%w: --conns, --datagrams and --bytes must be positive", errUsage)
	case o.timeout <= 0:
		return nil, fmt.Errorf("%w: invalid --timeout %v: must be positive", errUsage, o.timeout)
	}
	sel, err := selectScenarios(o.scenarios)
	if err != nil {
		return nil, err
	}
	if o.noDirector && (len(sel) != 1 || sel[0].name != "dr") {
		if len(o.scenarios) > 0 {
			return nil, fmt.Errorf("%w: --no-director only applies to the dr scenario", errUsage)
		}
		o.scenarios = []string{"dr"}
	}
	if o.keep && len(o.scenarios) != 1 {
		return nil, fmt.Errorf("%w: --keep needs exactly one --scenario", errUsage)
	}
	return o, nil
}

func main() {
	os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr))
}

// mainCode runs the command line and returns the exit status: 0 every
// scenario passed, 1 one failed (or the lab could not run), 2 bad usage.
func mainCode(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "xlvs-lab: %v\n", err)
		return 2
	}
	if o.list {
		listScenarios(stdout)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the program outright
	}()
	defer stop()
	results, err := run(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "xlvs-lab: %v\n", err)
		fmt.Fprintln(stdout, "xlvs-lab: FAIL")
		return 1
	}
	printSummary(stdout, results)
	fmt.Fprintln(stdout, finalLine(results))
	if !allPassed(results) {
		return 1
	}
	return 0
}
