package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// run checks that the lab can run, then runs the selected scenarios one
// after the other and returns their results. A scenario that fails does
// not stop the next; an interrupt (ctx done) does, and the scenarios left
// are reported as not run. The error is for a lab that cannot start at
// all (not root, binaries missing).
func run(ctx context.Context, o *options, stdout, stderr io.Writer) ([]result, error) {
	stderr = &lockedWriter{w: stderr} // xlvsd's log is copied in concurrently
	if os.Geteuid() != 0 {
		return nil, errors.New("xlvs-lab builds network namespaces and needs root")
	}
	sel, err := selectScenarios(o.scenarios)
	if err != nil {
		return nil, err
	}
	if err := checkBinaries(o, sel); err != nil {
		return nil, err
	}
	var results []result
	for _, s := range sel {
		if cause := context.Cause(ctx); cause != nil {
			results = append(results, result{name: s.name, err: fmt.Errorf("not run: %w", cause)})
			continue
		}
		results = append(results, runScenario(ctx, o, s, stdout, stderr))
	}
	return results, nil
}

// checkBinaries reports the first of the programs the scenarios need that
// is not an executable file.
func checkBinaries(o *options, sel []scenario) error {
	if o.noDirector {
		return nil
	}
	need := []string{o.xlvsd, o.xlvsadm}
	for _, s := range sel {
		if s.realServerTool {
			need = append(need, o.xlvsRS)
			break
		}
	}
	for _, p := range need {
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("no executable %s (build it first: make build; or pass --xlvsd/--xlvsadm/--xlvs-rs)", p)
		}
	}
	return nil
}

// runScenario runs one scenario in a lab of its own, bounded by
// --timeout, tears it all down and prints its checks.
func runScenario(parent context.Context, o *options, s scenario, stdout, stderr io.Writer) result {
	start := time.Now()
	printHeading(stdout, s)
	ctx, cancel := context.WithTimeoutCause(parent, o.timeout, fmt.Errorf("%s: gave up after --timeout %v", s.name, o.timeout))
	defer cancel()
	r := result{name: s.name}
	e, err := newEnv(ctx, o, s.name, stdout, stderr)
	if err != nil {
		r.err, r.duration = err, time.Since(start)
		printChecks(stdout, r)
		return r
	}
	fmt.Fprintf(stderr, "lab: %s: building %s\n", s.name, e.lab.ID)
	r.err = s.run(e)
	if o.keep {
		r.checks = e.checks
		printChecks(stdout, r)
		keep(parent, e.lab, stderr)
	}
	if terr := e.teardown(); terr != nil {
		r.err = errors.Join(r.err, fmt.Errorf("teardown: %w", terr))
	}
	r.checks, r.duration = e.checks, time.Since(start)
	if !r.passed() && e.d != nil && !o.verbose && parent.Err() == nil { // not after Ctrl-C
		fmt.Fprintf(stderr, "lab: %s failed; xlvsd's log:\n%s", s.name, e.d.logbuf.String())
	}
	if !o.keep || r.err != nil {
		printChecks(stdout, r)
	}
	return r
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
