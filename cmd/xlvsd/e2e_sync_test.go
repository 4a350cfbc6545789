package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/client"
	"github.com/xlvs/xlvs/internal/labtraffic"
	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/internal/syncbuf"
)

// syncLab is a VRRP-style pair of directors on one LAN with the client and
// one real server, every host plugged into bridge br0 of namespace lan:
//
//	client 198.18.0.2   dir1 198.18.0.1 + VIP   dir2 198.18.0.3 + VIP   rs1 198.18.0.11, VIP on lo
//
// Both directors carry the VIP; the client reaches it by a permanent
// neighbour entry, so moving the VIP to the other director is one
// neighbour change (what a gratuitous ARP from keepalived does).
type syncLab struct {
	t                 *testing.T
	bin               string
	lan, client, rs   *netlab.NS
	dirs              [2]*netlab.NS
	socks             [2]string
	cmds              [2]*exec.Cmd
	done              [2]chan struct{}
	logs              [2]*syncbuf.Buffer
	vip, rsAddr, cAdr string
}

func newSyncLab(t *testing.T) *syncLab {
	netlab.RequireRoot(t)
	l := &syncLab{t: t, bin: binaries(t), vip: "198.18.0.100", rsAddr: "198.18.0.11", cAdr: "198.18.0.2"}
	lab := netlab.NewT(t, "sync")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	l.lan, err = lab.AddNS("lan")
	must(err)
	hosts := []struct {
		ns   **netlab.NS
		name string
		addr string
	}{{&l.client, "client", l.cAdr}, {&l.dirs[0], "dir1", "198.18.0.1"}, {&l.dirs[1], "dir2", "198.18.0.3"}, {&l.rs, "rs1", l.rsAddr}}
	var ports []string
	for _, h := range hosts {
		*h.ns, err = lab.AddNS(h.name)
		must(err)
		must(lab.Veth(*h.ns, "eth0", l.lan, "to-"+h.name, netlab.LinkOptions{TxChecksumOff: true}))
		must((*h.ns).AddAddr("eth0", h.addr+"/24"))
		ports = append(ports, "to-"+h.name)
	}
	must(lab.Bridge(l.lan, "br0", ports...))
	for _, d := range l.dirs {
		must(d.AddAddr("eth0", l.vip+"/32"))
	}
	must(l.rs.AddAddr("lo", l.vip+"/32"))
	for _, dev := range []string{"all", "eth0"} {
		must(l.rs.SetSysctl("net/ipv4/conf/"+dev+"/arp_ignore", "1"))
		must(l.rs.SetSysctl("net/ipv4/conf/"+dev+"/arp_announce", "2"))
	}
	srv, err := labtraffic.Serve(l.rs, "rs1", []string{l.vip + ":80"}, nil)
	must(err)
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	for i := range l.dirs {
		l.socks[i] = filepath.Join(dir, fmt.Sprintf("dir%d.sock", i+1))
		l.start(i)
	}
	return l
}

// start runs xlvsd on director i and waits for its control socket.
func (l *syncLab) start(i int) {
	t := l.t
	l.logs[i], l.done[i] = &syncbuf.Buffer{}, make(chan struct{})
	cmd := exec.Command(filepath.Join(l.bin, "xlvsd"), "--interface", "eth0", "--socket", l.socks[i], "--verbose")
	cmd.Stdout, cmd.Stderr = l.logs[i], l.logs[i]
	if err := l.dirs[i].Start(cmd); err != nil {
		t.Fatalf("starting xlvsd on dir%d: %v", i+1, err)
	}
	l.cmds[i] = cmd
	done := l.done[i]
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dir%d xlvsd log:\n%s", i+1, l.logs[i])
		}
	})
	t.Cleanup(func() { l.stop(i) })
	waitFor(t, 30*time.Second, func() (bool, string) {
		c, err := client.Dial(l.socks[i])
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		resp, err := c.Do(&api.Request{Op: api.OpGetInfo})
		return err == nil && resp.Err == nil, fmt.Sprintf("dir%d control socket: %v", i+1, err)
	})
}

// stop ends director i's xlvsd with SIGTERM; it must exit 0.
func (l *syncLab) stop(i int) {
	select {
	case <-l.done[i]:
		return
	default:
	}
	_ = l.cmds[i].Process.Signal(syscall.SIGTERM)
	select {
	case <-l.done[i]:
	case <-time.After(30 * time.Second):
		_ = l.cmds[i].Process.Kill()
		<-l.done[i]
	}
	if code := l.cmds[i].ProcessState.ExitCode(); code != 0 {
		l.t.Errorf("dir%d xlvsd exit code %d after SIGTERM", i+1, code)
	}
}

// adm runs prog (xlvsadm or ipvsadm) on director i.
func (l *syncLab) adm(i int, prog string, args ...string) result {
	t := l.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(l.bin, prog), args...)
	cmd.Args[0] = prog
	cmd.Env = append(os.Environ(), "XLVS_SOCKET="+l.socks[i])
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := l.dirs[i].Start(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

func (l *syncLab) mustAdm(i int, args ...string) string {
	l.t.Helper()
	r := l.adm(i, "ipvsadm", args...)
	if r.code != 0 || r.stderr != "" {
		l.t.Fatalf("dir%d ipvsadm %q: %+v", i+1, args, r)
	}
	return r.stdout
}

// vipTo points the client's neighbour entry of the VIP at director i.
func (l *syncLab) vipTo(i int) {
	mac, err := l.dirs[i].MAC("eth0")
	if err != nil {
		l.t.Fatal(err)
	}
	if err := l.client.AddNeigh("eth0", l.vip, mac); err != nil {
		l.t.Fatal(err)
	}
}

// counters reads director i's get-counters.
func (l *syncLab) counters(i int) map[string]uint64 {
	c, err := client.Dial(l.socks[i])
	if err != nil {
		l.t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Do(&api.Request{Op: api.OpGetCounters})
	if err != nil || resp.Err != nil {
		l.t.Fatalf("counters: %v %v", err, resp.Err)
	}
	return resp.Counters
}

// TestSyncFailoverKeepsEstablishedConnection: a master and a backup xlvsd
// (ipvsadm --start-daemon master/backup), a TCP connection through the
// master; the backup lists it (ipvsadm -L -c -n) from the sync messages;
// the VIP moves to the backup and the master dies; the same connection
// goes on through the backup, to the same real server, with no reset.
func TestSyncFailoverKeepsEstablishedConnection(t *testing.T) {
	l := newSyncLab(t)
	for i := range l.dirs {
		l.mustAdm(i, "-A", "-t", l.vip+":80", "-s", "rr")
		l.mustAdm(i, "-a", "-t", l.vip+":80", "-r", l.rsAddr+":80", "-g")
	}
	l.mustAdm(1, "--start-daemon", "backup", "--mcast-interface", "eth0", "--syncid", "7")
	l.mustAdm(0, "--start-daemon", "master", "--mcast-interface", "eth0", "--syncid", "7")
	if got, want := l.mustAdm(0, "-L", "--daemon"), "master sync daemon (mcast=eth0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"; got != want {
		t.Fatalf("master -L --daemon: %q, want %q", got, want)
	}
	if r := l.adm(0, "ipvsadm", "--start-daemon", "master", "--mcast-interface", "eth0"); r != (result{"", "Daemon has already run\n", 255}) {
		t.Fatalf("second master: %+v", r)
	}
	if r := l.adm(1, "ipvsadm", "--stop-daemon", "master"); r != (result{"", "No daemon is running\n", 255}) {
		t.Fatalf("stop a master the backup does not run: %+v", r)
	}

	l.vipTo(0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := l.client.DialTCP(ctx, l.vip+":80")
	if err != nil {
		t.Fatalf("connecting through the master: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(50 * time.Second))
	rd := bufio.NewReader(conn)
	if name, err := rd.ReadString('\n'); err != nil || name != "rs1\n" {
		t.Fatalf("greeting %q: %v", name, err)
	}
	echo := func(msg string) {
		t.Helper()
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatalf("write %q: %v", msg, err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(rd, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo of %q: %q, %v", msg, buf, err)
		}
	}
	echo("before failover")
	echo("a second round trip")
	cport := conn.LocalAddr().(*net.TCPAddr).Port
	want := []string{"ESTABLISHED", fmt.Sprintf("%s:%d", l.cAdr, cport), l.vip + ":80", l.rsAddr + ":80"}
	// The master sends a partly filled message within 2 s (IPVS_SYNC_FLUSH_TIME).
	waitFor(t, 15*time.Second, func() (bool, string) {
		out := l.mustAdm(1, "-L", "-c", "-n")
		found := false
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 6 && f[0] == "TCP" && slices.Equal(f[2:], want) {
				found = true
			}
		}
		return found, fmt.Sprintf("backup's connections:\n%s\nmaster counters sent %d, backup received %d",
			out, l.counters(0)["sync-conns-sent"], l.counters(1)["sync-conns-received"])
	})
	if n := l.counters(1)["sync-import-queued"]; n == 0 {
		t.Fatal("backup imported nothing")
	}

	// Failover: the VIP now resolves to the backup, and the master dies.
	l.vipTo(1)
	l.stop(0)
	before := l.counters(1)
	echo("after failover")
	echo("and once more")
	after := l.counters(1)
	if after["rx-packets"] <= before["rx-packets"] || after["tx-packets"] <= before["tx-packets"] {
		t.Fatalf("the backup forwarded nothing: rx %d→%d tx %d→%d", before["rx-packets"], after["rx-packets"], before["tx-packets"], after["tx-packets"])
	}
	if after["drop-tcp-not-syn"] != 0 || after["conns-created"] != before["conns-created"] {
		t.Fatalf("the backup did not use the synced connection: not-syn drops %d, conns created %d→%d",
			after["drop-tcp-not-syn"], before["conns-created"], after["conns-created"])
	}
	if err := conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(rd); err != nil || len(rest) != 0 {
		t.Fatalf("closing: %q, %v (a reset would show here)", rest, err)
	}
}
