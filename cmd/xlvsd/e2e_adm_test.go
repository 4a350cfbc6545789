package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlvs/xlvs/internal/labtraffic"
)

// TestAdmConnsStatsRatesZeroTimeouts checks what ipvsadm users read off a
// running director, through the real xlvsd and xlvsadm: `-L -c -n` lists
// the connections the client holds with their addresses, protocol, IPVS
// state and a plausible expiry; `--stats` counts what the client sent (the
// inbound direction: DR replies bypass the director); `--rate` rises
// under steady traffic and decays after it; `-Z` zeroes counters and
// rates, one service or all; `--set` changes the timeouts `-L --timeout`
// shows and new connections get.
func TestAdmConnsStatsRatesZeroTimeouts(t *testing.T) {
	h := newHarness(t, "e2eadm", labtraffic.DROptions{})
	d := h.startDirector()
	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr", 1, 1)
	h.addService("-u", labtraffic.VIP4, labtraffic.UDPPort, "rr", 1, 1)

	// Connections: three held open, one closed by the client, one UDP flow.
	var held []*longConn
	tcpPayload := 0
	for range 3 {
		l := dialLong(t, h.dr.Client, vip4tcp.String())
		l.roundTrip(t, 1000)
		tcpPayload += 1000
		held = append(held, l)
	}
	closed := dialLong(t, h.dr.Client, vip4tcp.String())
	closed.roundTrip(t, 500)
	tcpPayload += 500
	closedSrc := closed.c.LocalAddr().String()
	closed.close(t)
	u := newUDPFlow(t, h, vip4udp)
	for i := range 10 {
		u.roundTrip(t, 100+i)
	}

	// -L -c -n: every connection, with IPVS's state names and timers.
	want := map[string]connWant{closedSrc: {"TCP", vip4tcp, "", []string{"FIN_WAIT", "TIME_WAIT"}, 60, 120}}
	for _, l := range held {
		want[l.c.LocalAddr().String()] = connWant{"TCP", vip4tcp, l.server, []string{"ESTABLISHED"}, 840, 900}
	}
	want[u.local.String()] = connWant{"UDP", vip4udp, u.server, []string{"UDP"}, 240, 300}
	waitFor(t, 10*time.Second, func() (bool, string) { return h.checkConns(want) })

	// --stats: UDP counts exactly what was sent (IP lengths); TCP counts
	// the connections and at least every segment's headers and payload.
	waitFor(t, 10*time.Second, func() (bool, string) {
		out := h.adm("-L", "-n", "--stats", "--exact", "-u", vip4udp.String())
		return statsIs(out, "UDP  "+vip4udp.String(), 1, u.pkts, u.bytes) &&
			statsIs(out, "  -> "+rip(labtraffic.VIP4, serverIndex(t, u.server), 53).String(), 1, u.pkts, u.bytes) &&
			statsIs(out, "  -> "+rip(labtraffic.VIP4, 1-serverIndex(t, u.server), 53).String(), 0, 0, 0), out
	})
	out := h.adm("-L", "-n", "--stats", "--exact")
	tcp := statFields(t, out, "TCP  "+vip4tcp.String())
	if tcp[0] != 4 || tcp[1] < 3*3+5 || tcp[2] != 0 || tcp[4] != 0 || tcp[3] < uint64(tcpPayload)+40*tcp[1] {
		t.Errorf("TCP service --stats %v: want 4 connections, ≥14 packets of ≥40 header bytes plus %d payload bytes, nothing outbound:\n%s",
			tcp, tcpPayload, out)
	}

	// --rate: rises under steady traffic, decays when it stops.
	stop := u.steady(t, 10*time.Millisecond)
	var peak uint64
	waitFor(t, 30*time.Second, func() (bool, string) {
		out := h.adm("-L", "-n", "--rate", "-u", vip4udp.String())
		r := statFields(t, out, "UDP  "+vip4udp.String())
		peak = max(peak, r[1])
		return r[1] > 0 && r[3] > 0 && r[2] == 0 && r[4] == 0, "no inbound rate under steady traffic:\n" + out
	})
	time.Sleep(2 * 2 * time.Second) // two more estimator periods at the steady rate
	peak = max(peak, statFields(t, h.adm("-L", "-n", "--rate", "-u", vip4udp.String()), "UDP  "+vip4udp.String())[1])
	stop()
	waitFor(t, 60*time.Second, func() (bool, string) {
		out := h.adm("-L", "-n", "--rate", "-u", vip4udp.String())
		r := statFields(t, out, "UDP  "+vip4udp.String())
		return r[1] <= peak/2, fmt.Sprintf("InPPS still above half its peak %d after the traffic stopped:\n%s", peak, out)
	})

	// -Z on one service, then on all: counters and rates read zero.
	before := statFields(t, h.adm("-L", "-n", "--stats", "--exact"), "TCP  "+vip4tcp.String())
	h.adm("-Z", "-u", vip4udp.String())
	out = h.adm("-L", "-n", "--stats", "--exact")
	if r := statFields(t, out, "UDP  "+vip4udp.String()); r != [5]uint64{} {
		t.Errorf("-Z -u: UDP service counters %v, want zeros:\n%s", r, out)
	}
	if r := statFields(t, out, "TCP  "+vip4tcp.String()); r != before {
		t.Errorf("-Z -u touched the TCP service: %v, was %v", r, before)
	}
	h.adm("-Z")
	for _, f := range []string{"--stats", "--rate"} {
		out := h.adm("-L", "-n", f)
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[3:] {
			if fs := strings.Fields(line); strings.Join(fs[len(fs)-5:], " ") != "0 0 0 0 0" {
				t.Errorf("after -Z, -L -n %s: %q, want zeros", f, line)
			}
		}
	}

	// --set: -L --timeout shows the values, new connections get them.
	h.adm("--set", "3600", "60", "600")
	if got := h.adm("-L", "--timeout"); got != "Timeout (tcp tcpfin udp): 3600 60 600\n" {
		t.Errorf("-L --timeout after --set 3600 60 600: %q", got)
	}
	long := dialLong(t, h.dr.Client, vip4tcp.String())
	long.roundTrip(t, 100)
	u2 := newUDPFlow(t, h, vip4udp)
	u2.roundTrip(t, 10)
	want = map[string]connWant{
		long.c.LocalAddr().String(): {"TCP", vip4tcp, long.server, []string{"ESTABLISHED"}, 3540, 3600},
		u2.local.String():           {"UDP", vip4udp, u2.server, []string{"UDP"}, 540, 600},
	}
	waitFor(t, 10*time.Second, func() (bool, string) { return h.checkConns(want) })
	h.adm("--set", "900", "120", "300")
	if got := h.adm("-L", "--timeout"); got != "Timeout (tcp tcpfin udp): 900 120 300\n" {
		t.Errorf("-L --timeout after --set 900 120 300: %q", got)
	}
	long2 := dialLong(t, h.dr.Client, vip4tcp.String())
	long2.roundTrip(t, 100)
	want = map[string]connWant{long2.c.LocalAddr().String(): {"TCP", vip4tcp, long2.server, []string{"ESTABLISHED"}, 840, 900}}
	waitFor(t, 10*time.Second, func() (bool, string) { return h.checkConns(want) })

	for _, l := range append(held, long, long2) {
		l.close(t)
	}
	checkFrameAccounting(t, d.stop(), 1)
}

// connWant is what `-L -c -n` must show for one client address:port.
type connWant struct {
	proto      string
	vip        netip.AddrPort
	server     string   // "rs1", "rs2"; "" for any
	states     []string // any of these
	minE, maxE int      // expiry, seconds
}

// checkConns reads `xlvsadm -L -c -n` and checks that each wanted
// connection is listed once, as ipvsadm's print_conn formats it.
func (h *harness) checkConns(want map[string]connWant) (bool, string) {
	t := h.t
	t.Helper()
	out := h.adm("-L", "-c", "-n")
	const head = "IPVS connection entries\npro expire state       source             virtual            destination\n"
	if !strings.HasPrefix(out, head) {
		return false, "bad header:\n" + out
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(out, head), "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 {
			continue
		}
		w, ok := want[f[3]]
		if !ok {
			continue
		}
		mm, ss, _ := strings.Cut(f[1], ":")
		m, err1 := strconv.Atoi(mm)
		s, err2 := strconv.Atoi(ss)
		e := m*60 + s
		if line != fmt.Sprintf("%-3s %-6s %-11s %-18s %-18s %s", f[0], f[1], f[2], f[3], f[4], f[5]) || err1 != nil || err2 != nil || len(ss) != 2 {
			return false, "not print_conn's format: " + line
		}
		dst := ""
		if w.server != "" {
			dst = rip(w.vip.Addr(), serverIndex(t, w.server), w.vip.Port()).String()
		}
		okDst := (dst != "" && f[5] == dst) || (dst == "" && (f[5] == rip(w.vip.Addr(), 0, w.vip.Port()).String() || f[5] == rip(w.vip.Addr(), 1, w.vip.Port()).String()))
		if f[0] != w.proto || f[4] != w.vip.String() || !okDst || !contains(w.states, f[2]) || e < w.minE || e > w.maxE || seen[f[3]] {
			return false, fmt.Sprintf("connection %s listed as %q, want %s to %v via %s, state %v, expiry %d..%ds, once:\n%s",
				f[3], line, w.proto, w.vip, dst, w.states, w.minE, w.maxE, out)
		}
		seen[f[3]] = true
	}
	for src := range want {
		if !seen[src] {
			return false, "connection from " + src + " not listed:\n" + out
		}
	}
	return true, ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// statFields returns the five counters of the listing line that starts
// with name ("TCP  vip:port" or "  -> rip:port") and a blank; values are
// read as plain numbers, as --exact prints them and as values below 10^8
// always are.
func statFields(t *testing.T, out, name string) [5]uint64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line[len(name):])
		if len(f) != 5 {
			t.Fatalf("not five counters: %q", line)
		}
		var r [5]uint64
		for i, s := range f {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("counter %q of %q: %v", s, line, err)
			}
			r[i] = v
		}
		return r
	}
	t.Fatalf("no line for %q in:\n%s", name, out)
	return [5]uint64{}
}

// statsIs reports whether name's --stats line has these inbound counters
// and nothing outbound.
func statsIs(out, name string, conns, pkts, bytes uint64) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.Join(strings.Fields(line[len(name):]), " ") == fmt.Sprintf("%d %d 0 %d 0", conns, pkts, bytes)
		}
	}
	return false
}

// udpFlow is one UDP socket of the client: one IPVS connection. It counts
// the datagrams it sends and their IP lengths.
type udpFlow struct {
	c           *net.UDPConn
	local       netip.AddrPort
	server      string
	pkts, bytes uint64
	mu          sync.Mutex // c's writes between steady and the test
}

func newUDPFlow(t *testing.T, h *harness, dst netip.AddrPort) *udpFlow {
	t.Helper()
	u := &udpFlow{}
	err := h.dr.Client.Do(func() (err error) {
		u.c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		return err
	})
	if err != nil {
		t.Fatalf("udp socket to %v: %v", dst, err)
	}
	t.Cleanup(func() { u.c.Close() })
	u.local = u.c.LocalAddr().(*net.UDPAddr).AddrPort()
	return u
}

// write sends one datagram of n bytes and counts it.
func (u *udpFlow) write(t *testing.T, n int) []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	data := []byte(strings.Repeat(fmt.Sprintf("%08d", u.pkts), n/8+1)[:n])
	if _, err := u.c.Write(data); err != nil {
		t.Errorf("udp write from %v: %v", u.local, err)
		return nil
	}
	u.pkts++
	u.bytes += uint64(20 + 8 + n) // IPv4 and UDP headers: the IP length IPVS counts
	return data
}

// roundTrip sends n bytes until the echo comes back (each try counted) and
// notes the real server that answered.
func (u *udpFlow) roundTrip(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 2048)
	for try := 0; try < 5; try++ {
		data := u.write(t, n)
		_ = u.c.SetReadDeadline(time.Now().Add(2 * time.Second))
		m, err := u.c.Read(buf)
		if err != nil {
			continue
		}
		name, echo, ok := strings.Cut(string(buf[:m]), "\n")
		if !ok || echo != string(data) || (u.server != "" && name != u.server) {
			t.Fatalf("udp %v: answer %q, want %q from %q", u.local, buf[:m], data, u.server)
		}
		u.server = name
		return
	}
	t.Fatalf("udp %v: no answer to 5 datagrams", u.local)
}

// steady sends a datagram every period (answers are read and dropped)
// until the returned function is called.
func (u *udpFlow) steady(t *testing.T, period time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				u.write(t, 64)
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			select {
			case <-done:
				return
			default:
			}
			_ = u.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = u.c.Read(buf)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}
