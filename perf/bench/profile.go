package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// pprofAddr is where xlvsd serves its profiler with --profile: loopback of
// the director's namespace.
const pprofAddr = "127.0.0.1:6060"

// profileFile names the CPU profile of one row: "xlvs-dr-1-worker-1m.pprof".
func profileFile(dir, path string, flows int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(path) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSuffix(b.String(), "-")
	return filepath.Join(dir, name+"-"+strings.ToLower(flowText(flows))+".pprof")
}

// fetchProfile takes a CPU profile of seconds from xlvsd's --pprof inside
// the director's namespace and writes it to file. The connection is made
// in the namespace (netlab's DialTCP); the request is plain HTTP/1.0 on it.
func (b *bench) fetchProfile(file string, seconds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := b.topo.dut.DialTCP(ctx, pprofAddr)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Duration(seconds)*time.Second + 30*time.Second))
	if _, err := fmt.Fprintf(conn, "GET /debug/pprof/profile?seconds=%d HTTP/1.0\r\nHost: xlvsd\r\n\r\n", seconds); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("profile: %s: %s", resp.Status, msg)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}
