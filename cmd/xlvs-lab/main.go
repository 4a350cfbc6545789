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
	xlvsd, xlvsadm string
	noDirector     bool
	keep           bool
	verbose        bool
	queues         int
	realServers    int
	conns          int
	bytes          int
	datagrams      int
	timeout        time.Duration
}

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("xlvs-lab", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.xlvsd, "xlvsd", "./bin/xlvsd", "path of the xlvsd binary")
	fs.StringVar(&o.xlvsadm, "xlvsadm", "./bin/xlvsadm", "path of the xlvsadm binary")
	fs.BoolVar(&o.noDirector, "no-director", false, "no xlvsd: send the traffic to the real servers' own addresses")
	fs.BoolVar(&o.keep, "keep", false, "keep the lab (and xlvsd) after the traffic until Ctrl-C")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "run xlvsd with --verbose")
	fs.IntVar(&o.queues, "queues", 1, "queues of the director's eth0 (xlvsd runs one worker per queue)")
	fs.IntVar(&o.realServers, "real-servers", 2, "number of real servers (1-8)")
	fs.IntVar(&o.conns, "conns", 20, "TCP connections per service")
	fs.IntVar(&o.bytes, "bytes", 48<<10, "bytes each way per TCP connection")
	fs.IntVar(&o.datagrams, "datagrams", 20, "UDP round-trips per service")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
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
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "xlvs-lab: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the program outright
	}()
	err = run(ctx, o, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "xlvs-lab: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stdout, "xlvs-lab: PASS")
}
