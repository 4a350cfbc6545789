package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/dataplane/port/xskport"
)

type options struct {
	interfaces []string
	socket     string
	queues     int
	cpus       []int
	noPin      bool
	connMax    int
	natConnMax int
	frames     int
	rxRing     int
	verbose    bool
	rulesOptions
	metricsOptions
	pprofOptions
	keepalived string
	marks      []api.MarkRule // --mark (marks.go)
	fnat       fullnatOptions // --fullnat-ports (fullnat.go)
	localDev   string         // --local-dev (local.go)
	reuse      reuseOptions   // --conn-reuse-mode, --expire-nodest-conn (reuse.go)
	busyPoll   busyOptions    // --busy-poll-us (busypoll.go)
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("xlvsd", pflag.ContinueOnError)
	fs.StringArrayVarP(&o.interfaces, "interface", "i", nil, "interface to serve (repeatable)")
	fs.StringVar(&o.socket, "socket", client.SocketPath(), "control socket path (env XLVS_SOCKET)")
	fs.IntVar(&o.queues, "queues", 0, "queues (workers) per interface; 0: the interface's RX queue count")
	fs.IntSliceVar(&o.cpus, "cpus", nil, "CPUs to pin workers to, worker i on cpus[i % len] (default: worker i on CPU i mod the CPU count)")
	fs.BoolVar(&o.noPin, "no-pin", false, "do not pin workers to CPUs")
	fs.IntVar(&o.connMax, "conn-max", 1<<20, "connection table capacity per worker")
	fs.IntVar(&o.natConnMax, "nat-conn-max", 0, "connections per worker whose replies pass through the director (NAT); 0: conn-max/4")
	fs.IntVar(&o.frames, "frames", xskport.DefaultOptions().FramesPerLink, "UMEM frames per interface and worker (at least twice --rx-ring)")
	fs.IntVar(&o.rxRing, "rx-ring", xskport.DefaultRXRing, "entries of each AF_XDP socket's RX and fill rings (a power of two)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "log debug messages")
	o.rulesOptions.addFlags(fs)
	o.metricsOptions.addFlags(fs)
	o.fnat.addFlags(fs)
	o.pprofOptions.addFlags(fs)
	o.reuse.addFlags(fs)
	o.busyPoll.addFlags(fs)
	fs.StringVar(&o.keepalived, "keepalived-conf", "", "run the virtual servers and health checks of this keepalived.conf (SIGHUP reloads it)")
	fs.StringVar(&o.localDev, "local-dev", defaultLocalDev, "TAP device that delivers packets of local-node real servers to this host's stack (\"\": none)")
	var marks []string
	fs.StringArrayVar(&marks, "mark", nil, "mark rule 'PROTO PREFIX PORTS MARK' for firewall-mark services (repeatable), e.g. 'tcp 198.18.0.100/32 80,443 1'")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, m := range marks {
		rules, err := parseMark(m)
		if err != nil {
			return nil, err
		}
		o.marks = append(o.marks, rules...)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(o.interfaces) == 0 {
		return nil, fmt.Errorf("at least one --interface is required")
	}
	if err := errors.Join(o.rulesOptions.check(), o.metricsOptions.check(), o.fnat.check(), o.pprofOptions.check(), o.reuse.check(), o.busyPoll.check()); err != nil {
		return nil, err
	}
	if o.queues < 0 || o.queues > 64 {
		return nil, fmt.Errorf("invalid --queues %d: must be 0..64", o.queues)
	}
	if err := checkKeepalivedFlags(o); err != nil {
		return nil, err
	}
	if o.rxRing < 64 || o.rxRing > 1<<16 || o.rxRing&(o.rxRing-1) != 0 {
		return nil, fmt.Errorf("invalid --rx-ring %d: must be a power of two in 64..65536", o.rxRing)
	}
	if o.frames < 2*o.rxRing {
		return nil, fmt.Errorf("invalid --frames %d: must be at least twice --rx-ring (%d)", o.frames, 2*o.rxRing)
	}
	if o.connMax < 1024 {
		return nil, fmt.Errorf("invalid --conn-max %d: must be at least 1024", o.connMax)
	}
	if o.natConnMax < 0 || o.natConnMax > o.connMax {
		return nil, fmt.Errorf("invalid --nat-conn-max %d: must be 0..--conn-max (%d)", o.natConnMax, o.connMax)
	}
	if o.noPin && len(o.cpus) > 0 {
		return nil, fmt.Errorf("--cpus and --no-pin exclude each other")
	}
	if len(o.cpus) == 0 && !o.noPin {
		for i := 0; i < runtime.NumCPU(); i++ {
			o.cpus = append(o.cpus, i)
		}
	}
	for _, c := range o.cpus {
		if c < 0 || c >= runtime.NumCPU() {
			return nil, fmt.Errorf("invalid CPU %d in --cpus: this machine has CPUs 0..%d", c, runtime.NumCPU()-1)
		}
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "xlvsd: %v\n", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := startPprof(&o.pprofOptions, log); err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	d, err := start(o, log)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	s := <-sig
	for ; s == syscall.SIGHUP; s = <-sig {
		d.reload()
	}
	log.Info("shutting down", "signal", s.String())
	d.stop()
	os.Exit(0)
}
