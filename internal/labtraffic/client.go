package labtraffic

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xlvs/xlvs/internal/netlab"
)

// connTimeout bounds one server-side connection.
const connTimeout = time.Minute

// Plan describes the client traffic of [Run]. Zero fields take defaults.
type Plan struct {
	TCP          []string      // TCP addresses ("ip:port") to connect to
	UDP          []string      // UDP addresses to send datagrams to
	Conns        int           // TCP connections per address; default 10
	Bytes        int           // payload bytes each way per connection; default 32 KiB
	Datagrams    int           // UDP round-trips per address; default 20
	DatagramSize int           // UDP payload bytes; default 512
	Parallel     int           // concurrent round-trips; default 4
	Timeout      time.Duration // per round-trip; default 5s
	Retries      int           // UDP resends before a round fails; default 3
	Source       netip.Addr    // client address to send from; zero: the kernel's choice
}

func (p Plan) withDefaults() Plan {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Conns, 10)
	def(&p.Bytes, 32<<10)
	def(&p.Datagrams, 20)
	def(&p.DatagramSize, 512)
	def(&p.Parallel, 4)
	def(&p.Retries, 3)
	if p.Timeout <= 0 {
		p.Timeout = 5 * time.Second
	}
	return p
}

// Target is the outcome of the round-trips to one address.
type Target struct {
	Proto     string         // "tcp" or "udp"
	Addr      string         // the address sent to
	OK        int            // round-trips that completed and checked out
	Failed    int            // round-trips that did not
	Bytes     int64          // payload bytes that made it there and back
	PerServer map[string]int // successful round-trips by answering server
	Errors    []string       // the first few failures
}

// Report is the outcome of [Run], one Target per address in plan order
// (TCP first).
type Report struct {
	Targets []Target
}

// OK reports whether every round-trip succeeded (and there was at least one).
func (r Report) OK() bool {
	if len(r.Targets) == 0 {
		return false
	}
	for _, t := range r.Targets {
		if t.Failed > 0 || t.OK == 0 {
			return false
		}
	}
	return true
}

// String formats the report, one line per target.
func (r Report) String() string {
	var b strings.Builder
	for _, t := range r.Targets {
		names := make([]string, 0, len(t.PerServer))
		for n := range t.PerServer {
			names = append(names, n)
		}
		sort.Strings(names)
		var per []string
		for _, n := range names {
			per = append(per, fmt.Sprintf("%s=%d", n, t.PerServer[n]))
		}
		fmt.Fprintf(&b, "%s %s: %d ok, %d failed, %d bytes echoed; answered by %s\n",
			t.Proto, t.Addr, t.OK, t.Failed, t.Bytes, strings.Join(per, " "))
		for _, e := range t.Errors {
			fmt.Fprintf(&b, "    %s\n", e)
		}
	}
	return b.String()
}

const maxErrors = 5

// Run performs plan from namespace ns (nil: the process's namespace) and
// reports per target. It returns early with what it has when ctx is done.
func Run(ctx context.Context, ns *netlab.NS, plan Plan) Report {
	plan = plan.withDefaults()
	type job struct {
		target int
		seq    int
	}
	var rep Report
	var jobs []job
	for _, a := range plan.TCP {
		rep.Targets = append(rep.Targets, Target{Proto: "tcp", Addr: a, PerServer: map[string]int{}})
		for i := range plan.Conns {
			jobs = append(jobs, job{len(rep.Targets) - 1, i})
		}
	}
	for _, a := range plan.UDP {
		rep.Targets = append(rep.Targets, Target{Proto: "udp", Addr: a, PerServer: map[string]int{}})
		for i := range plan.Datagrams {
			jobs = append(jobs, job{len(rep.Targets) - 1, i})
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan job)
	for range plan.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				t := &rep.Targets[j.target] // Proto/Addr are read-only here
				var server string
				var n int
				var err error
				if t.Proto == "tcp" {
					server, n, err = tcpRound(ctx, ns, plan.Source, t.Addr, payload(j.seq, plan.Bytes), plan.Timeout)
				} else {
					server, n, err = udpRound(ctx, ns, plan.Source, t.Addr, payload(j.seq, plan.DatagramSize), plan.Timeout, plan.Retries)
				}
				mu.Lock()
				if err != nil {
					t.Failed++
					if len(t.Errors) < maxErrors {
						t.Errors = append(t.Errors, err.Error())
					}
				} else {
					t.OK++
					t.Bytes += int64(n)
					t.PerServer[server]++
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	return rep
}

// payload returns size deterministic bytes that differ between rounds.
func payload(seq, size int) []byte {
	b := make([]byte, size)
	x := uint32(seq)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Errors returned by round-trips.
var (
	// ErrEchoMismatch means the bytes that came back are not those sent.
	ErrEchoMismatch = errors.New("labtraffic: echo differs from what was sent")
	// ErrNoName means the server's name line was missing or malformed.
	ErrNoName = errors.New("labtraffic: no server name in reply")
)

// TCPRound connects to addr from ns, sends data, half-closes and checks
// that the server's name line and an exact echo come back. It returns the
// server's name and the number of payload bytes echoed.
func TCPRound(ctx context.Context, ns *netlab.NS, addr string, data []byte, timeout time.Duration) (server string, n int, err error) {
	return tcpRound(ctx, ns, netip.Addr{}, addr, data, timeout)
}

// tcpRound is [TCPRound] from source address src (zero: any).
func tcpRound(ctx context.Context, ns *netlab.NS, src netip.Addr, addr string, data []byte, timeout time.Duration) (server string, n int, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dialTCP(ctx, ns, src, addr)
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	r := bufio.NewReaderSize(c, 32<<10)
	line, err := r.ReadString('\n')
	if err != nil {
		<-werr
		return "", 0, fmt.Errorf("tcp %s: reading server name: %w", addr, err)
	}
	server = strings.TrimSuffix(line, "\n")
	if server == "" {
		<-werr
		return "", 0, fmt.Errorf("tcp %s: %w", addr, ErrNoName)
	}
	echo, err := io.ReadAll(r)
	if e := <-werr; e != nil && err == nil {
		err = fmt.Errorf("writing: %w", e)
	}
	if err != nil {
		return server, 0, fmt.Errorf("tcp %s (%s): %d of %d bytes echoed: %w", addr, server, len(echo), len(data), err)
	}
	if !bytes.Equal(echo, data) {
		return server, 0, fmt.Errorf("tcp %s (%s): %d bytes back for %d sent: %w", addr, server, len(echo), len(data), ErrEchoMismatch)
	}
	return server, len(data), nil
}

// UDPRound sends data to addr from a fresh socket in ns (a new source port,
// hence a new flow for a load balancer) and waits for the server's answer,
// resending up to retries times. It returns the server's name and the
// number of payload bytes echoed.
func UDPRound(ctx context.Context, ns *netlab.NS, addr string, data []byte, timeout time.Duration, retries int) (server string, n int, err error) {
	return udpRound(ctx, ns, netip.Addr{}, addr, data, timeout, retries)
}

// udpRound is [UDPRound] from source address src (zero: any).
func udpRound(ctx context.Context, ns *netlab.NS, src netip.Addr, addr string, data []byte, timeout time.Duration, retries int) (server string, n int, err error) {
	c, err := dialUDP(ctx, ns, src, addr)
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	buf := make([]byte, len(data)+128)
	wait := timeout / time.Duration(retries+1)
	for try := 0; try <= retries; try++ {
		if err := ctx.Err(); err != nil {
			return "", 0, fmt.Errorf("udp %s: %w", addr, err)
		}
		if _, err := c.Write(data); err != nil {
			return "", 0, fmt.Errorf("udp %s: send: %w", addr, err)
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		m, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			return "", 0, fmt.Errorf("udp %s: receive: %w", addr, err)
		}
		name, echo, ok := bytes.Cut(buf[:m], []byte{'\n'})
		if !ok || len(name) == 0 {
			return "", 0, fmt.Errorf("udp %s: %w", addr, ErrNoName)
		}
		if !bytes.Equal(echo, data) {
			return string(name), 0, fmt.Errorf("udp %s (%s): %w", addr, name, ErrEchoMismatch)
		}
		return string(name), len(data), nil
	}
	return "", 0, fmt.Errorf("udp %s: no answer after %d sends within %v", addr, retries+1, timeout)
}
