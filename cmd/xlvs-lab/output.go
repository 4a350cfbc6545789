package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// result is the outcome of one scenario.
type result struct {
	name     string
	err      error // a step failed (the checks may be incomplete)
	checks   []check
	duration time.Duration
}

// passed reports whether the scenario ran through and every one of its
// (at least one) checks held.
func (r result) passed() bool {
	if r.err != nil || len(r.checks) == 0 {
		return false
	}
	for _, c := range r.checks {
		if !c.ok {
			return false
		}
	}
	return true
}

// failedChecks counts the checks that did not hold.
func (r result) failedChecks() int {
	n := 0
	for _, c := range r.checks {
		if !c.ok {
			n++
		}
	}
	return n
}

func allPassed(rs []result) bool {
	for _, r := range rs {
		if !r.passed() {
			return false
		}
	}
	return len(rs) > 0
}

// printHeading starts a scenario's section of the report.
func printHeading(w io.Writer, s scenario) {
	line := fmt.Sprintf("=== %s: %s ", s.name, s.title)
	if n := 100 - len(line); n > 0 {
		line += strings.Repeat("=", n)
	}
	fmt.Fprintf(w, "\n%s\n", line)
}

// printTraffic prints the client's view: per target the round-trips that
// succeeded and failed and which real server answered them.
func printTraffic(w io.Writer, title string, rep labtraffic.Report, rs []string) {
	fmt.Fprintf(w, "\n%s\n", title)
	// Targets left-aligned (padded to one width), numbers right-aligned.
	width := len("target")
	for _, t := range rep.Targets {
		width = max(width, len(t.Proto)+1+len(t.Addr))
	}
	tw := tableWriter(w, tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tok\tfailed\t%s\t\n", width, "target", strings.Join(rs, "\t"))
	for _, t := range rep.Targets {
		per := make([]string, len(rs))
		for i, n := range rs {
			per[i] = fmt.Sprint(t.PerServer[n])
		}
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%s\t\n", width, t.Proto+" "+t.Addr, t.OK, t.Failed, strings.Join(per, "\t"))
	}
	tw.Flush()
	for _, t := range rep.Targets {
		for _, err := range t.Errors {
			fmt.Fprintf(w, "    %s %s: %s\n", t.Proto, t.Addr, err)
		}
	}
}

// printServers prints what each real server received.
func printServers(w io.Writer, servers []*labtraffic.Server) {
	fmt.Fprintln(w, "\nreal servers (their own tallies):")
	tw := tableWriter(w, tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\ttcp conns\ttcp bytes in\ttcp bytes out\tudp datagrams\tudp bytes in\t")
	for _, s := range servers {
		st := s.Stats()
		fmt.Fprintf(tw, "%-6s\t%d\t%d\t%d\t%d\t%d\t\n", st.Name, st.TCPConns, st.TCPBytesIn, st.TCPBytesOut, st.UDPDatagrams, st.UDPBytesIn)
	}
	tw.Flush()
}

// table is a tabwriter whose lines are indented by two spaces.
type table struct {
	*tabwriter.Writer
	indent *prefixWriter
}

// tableWriter returns a table writing to w with the given tabwriter
// flags, two spaces between columns; Flush writes it out. Right-aligned
// tables get their indent from the padding, which goes left of each cell.
func tableWriter(w io.Writer, flags uint) *table {
	in := &prefixWriter{w: w, prefix: "  "}
	if flags&tabwriter.AlignRight != 0 {
		in.prefix = ""
	}
	return &table{Writer: tabwriter.NewWriter(in, 0, 8, 2, ' ', flags), indent: in}
}

// Flush writes the table out.
func (t *table) Flush() error {
	err := t.Writer.Flush()
	t.indent.Flush()
	return err
}

// printChecks prints a scenario's checks, then its verdict line.
func printChecks(w io.Writer, r result) {
	fmt.Fprintln(w, "\nchecks:")
	for _, c := range r.checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, c.text)
	}
	if r.err != nil {
		fmt.Fprintf(w, "  FAIL %s\n", strings.ReplaceAll(strings.TrimRight(r.err.Error(), "\n"), "\n", "\n       "))
	}
	verdict := "PASS"
	if !r.passed() {
		verdict = "FAIL"
		if r.err == nil && len(r.checks) == 0 {
			verdict += " (nothing was checked)"
		}
	}
	fmt.Fprintf(w, "--- %s: %s (%.1fs)\n", r.name, verdict, r.duration.Seconds())
}

// printSummary prints one line per scenario run.
func printSummary(w io.Writer, rs []result) {
	fmt.Fprintln(w, "\nsummary:")
	for _, r := range rs {
		status := "PASS"
		switch {
		case r.err != nil:
			status = "FAIL: " + firstLine(r.err.Error())
		case !r.passed():
			status = fmt.Sprintf("FAIL: %d of %d checks", r.failedChecks(), len(r.checks))
		}
		fmt.Fprintf(w, "  %-13s %5.1fs  %s\n", r.name, r.duration.Seconds(), status)
	}
}

// finalLine is the report's last line: "xlvs-lab: PASS", or "xlvs-lab:
// FAIL" with the scenarios that failed.
func finalLine(rs []result) string {
	var failed []string
	for _, r := range rs {
		if !r.passed() {
			failed = append(failed, r.name)
		}
	}
	switch {
	case len(rs) == 0:
		return "xlvs-lab: FAIL (no scenario ran)"
	case len(failed) > 0:
		return "xlvs-lab: FAIL (" + strings.Join(failed, ", ") + ")"
	}
	return "xlvs-lab: PASS"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// prefixWriter writes complete lines to w, each prefixed; it is safe for
// concurrent use (exec copies stdout and stderr on separate goroutines).
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

// Write buffers p and writes out every complete line.
func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := append([]byte(p.prefix), p.buf[:i+1]...)
		if _, err := p.w.Write(line); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// Flush writes out a trailing partial line.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes b to the underlying writer under the lock.
func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
