package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
)

// errTraffic means the lab ran but the traffic did not get through.
var errTraffic = errors.New("traffic did not get through")

// run builds the lab, runs the director and the traffic and tears it all
// down before returning.
func run(ctx context.Context, o *options, stdout, stderr io.Writer) (err error) {
	stderr = &lockedWriter{w: stderr} // xlvsd's log is copied in concurrently
	if os.Geteuid() != 0 {
		return errors.New("xlvs-lab builds network namespaces and needs root")
	}
	if !o.noDirector {
		for _, p := range []string{o.xlvsd, o.xlvsadm} {
			if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				return fmt.Errorf("no executable %s (build it first: make build; or pass --xlvsd/--xlvsadm, or --no-director)", p)
			}
		}
	}
	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("gave up after --timeout %v", o.timeout))
	defer cancel()

	lab, err := netlab.New("xlvslab")
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintf(stderr, "lab: removing %s\n", lab.ID)
		if cerr := lab.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	fmt.Fprintf(stderr, "lab: building %s (namespaces client, director, rs1..rs%d, lan)\n", lab.ID, o.realServers)
	dr, err := labtraffic.NewDR(lab, labtraffic.DROptions{RealServers: o.realServers, Queues: o.queues})
	if err != nil {
		return err
	}
	servers, err := dr.ServeRealServers()
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()

	plan := dr.DirectPlan()
	var d *director
	if !o.noDirector {
		if d, err = startDirector(ctx, o, dr, stderr); err != nil {
			return err
		}
		defer func() {
			if serr := d.stop(); serr != nil {
				err = errors.Join(err, serr)
			}
		}()
		ctx = d.ctx // cancelled if xlvsd dies
		if err := d.configure(ctx, o.realServers, stderr); err != nil {
			return err
		}
		plan = labtraffic.VIPPlan()
	}
	plan.Conns, plan.Bytes, plan.Datagrams = o.conns, o.bytes, o.datagrams

	fmt.Fprintf(stderr, "lab: client -> %s (tcp, %d conns x %d bytes each way) and %s (udp, %d datagrams)\n",
		strings.Join(plan.TCP, " "), o.conns, o.bytes, strings.Join(plan.UDP, " "), o.datagrams)
	rep := labtraffic.Run(ctx, dr.Client, plan)
	if cerr := context.Cause(ctx); cerr != nil {
		return cerr
	}
	printServers(stdout, servers)
	fmt.Fprintf(stdout, "\nclient:\n%s", rep)
	if d != nil {
		fmt.Fprintln(stdout, "\nxlvsadm -L -n:")
		out, lerr := d.xlvsadm(ctx, "-L", "-n")
		stdout.Write(out)
		if lerr != nil {
			err = errors.Join(err, fmt.Errorf("xlvsadm -L -n: %w", lerr))
		}
	}
	if terr := verdict(rep, !o.noDirector, o.realServers); terr != nil {
		err = errors.Join(err, terr)
	}
	if o.keep && err == nil {
		keep(parent, lab, stderr)
	}
	return err
}

// verdict checks the report: every round-trip succeeded and, with a
// director (rr), every real server answered for every service.
func verdict(rep labtraffic.Report, director bool, nRS int) error {
	if !rep.OK() {
		return errTraffic
	}
	if !director {
		return nil
	}
	for _, t := range rep.Targets {
		for i := range nRS {
			if name := fmt.Sprintf("rs%d", i+1); t.PerServer[name] == 0 {
				return fmt.Errorf("%w: %s %s never reached %s (scheduler rr should spread)", errTraffic, t.Proto, t.Addr, name)
			}
		}
	}
	return nil
}

// keep waits for Ctrl-C, telling the user how to look around.
func keep(ctx context.Context, lab *netlab.Lab, stderr io.Writer) {
	fmt.Fprintln(stderr, "lab: kept; look around with `ip netns exec <ns> ...` in:")
	for _, ns := range lab.NSs() {
		fmt.Fprintf(stderr, "lab:   %s\n", ns.Name)
	}
	fmt.Fprintln(stderr, "lab: press Ctrl-C to remove it")
	<-ctx.Done()
}
