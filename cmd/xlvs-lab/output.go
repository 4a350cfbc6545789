package main

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// printServers prints what each real server received.
func printServers(w io.Writer, servers []*labtraffic.Server) {
	fmt.Fprintln(w, "\nreal servers:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\ttcp conns\ttcp bytes in\ttcp bytes out\tudp datagrams\tudp bytes in\t")
	for _, s := range servers {
		st := s.Stats()
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", st.Name, st.TCPConns, st.TCPBytesIn, st.TCPBytesOut, st.UDPDatagrams, st.UDPBytesIn)
	}
	tw.Flush()
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
