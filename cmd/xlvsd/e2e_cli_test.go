package main

import (
	"bufio"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/internal/labtraffic"
)

// rawRequest writes line to the control socket with a plain connection
// and decodes the one-line answer.
func (h *harness) rawRequest(line string) api.Response {
	t := h.t
	t.Helper()
	c, err := net.DialTimeout("unix", h.socket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	answer, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("answer to %q: %v (got %q)", line, err, answer)
	}
	var resp api.Response
	if err := json.Unmarshal(answer, &resp); err != nil {
		t.Fatalf("answer to %q is not a response: %v: %q", line, err, answer)
	}
	return resp
}

// TestCLIAsAUserMeetsIt drives xlvsadm (and its ipvsadm name) through the
// mistakes users make: a bad option, an unknown scheduler, a forwarding
// method xlvs does not have yet, and garbage on the control socket. Each
// gets ipvsadm's message and exit code, and leaves the running
// configuration and the daemon as they were.
func TestCLIAsAUserMeetsIt(t *testing.T) {
	h := newHarness(t, "e2ecli", labtraffic.DROptions{})
	d := h.startDirector()

	const tryHelp = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"
	for _, args := range [][]string{{"-q"}, {"--no-such-option"}, {"-t", vip4tcp.String()}} {
		if r := h.cli("ipvsadm", args...); r.code != 255 || r.stderr != tryHelp || r.stdout != "" {
			t.Errorf("ipvsadm %q: exit %d, stdout %q, stderr %q; want 255 and %q", args, r.code, r.stdout, r.stderr, tryHelp)
		}
	}

	h.addService("-u", labtraffic.VIP4, labtraffic.UDPPort, "rr", 1, 1)
	h.addService("-t", labtraffic.VIP6, labtraffic.TCPPort, "wlc", 2, 1)
	saved := h.adm("-S", "-n")
	// ipvsadm -S sorts services by family first, real servers by address.
	wantSaved := "-A -u 198.18.0.100:53 -s rr\n" +
		"-a -u 198.18.0.100:53 -r 198.18.0.11:53 -g -w 1\n" +
		"-a -u 198.18.0.100:53 -r 198.18.0.12:53 -g -w 1\n" +
		"-A -t [fd00:18::100]:80 -s wlc\n" +
		"-a -t [fd00:18::100]:80 -r [fd00:18::11]:80 -g -w 2\n" +
		"-a -t [fd00:18::100]:80 -r [fd00:18::12]:80 -g -w 1\n"
	if saved != wantSaved {
		t.Errorf("xlvsadm -S -n:\n%s\nwant:\n%s", saved, wantSaved)
	}

	r := h.cli("xlvsadm", "-A", "-t", vip4tcp.String(), "-s", "nosuchsched")
	if want := "Scheduler or persistence engine not found\n"; r.code != 255 || r.stderr != want || r.stdout != "" {
		t.Errorf("-A with an unknown scheduler: exit %d, stdout %q, stderr %q; want 255 and %q", r.code, r.stdout, r.stderr, want)
	}
	if got := h.adm("-S", "-n"); got != saved {
		t.Errorf("configuration changed by a refused -A:\nbefore:\n%s\nafter:\n%s", saved, got)
	}

	h.addService("-t", labtraffic.VIP4, labtraffic.TCPPort, "rr")
	saved = h.adm("-S", "-n")
	other := ap(labtraffic.VIP4, 8081)
	r = h.cli("xlvsadm", "-a", "-t", other, "-r", rip(labtraffic.VIP4, 0, 80).String(), "-i", "--tun-type", "gre")
	if want := "Service not defined\n"; r.code != 255 || r.stdout != "" || r.stderr != want {
		t.Errorf("-a to a service that does not exist: exit %d, stdout %q, stderr %q; want 255 and %q", r.code, r.stdout, r.stderr, want)
	}
	if got := h.adm("-S", "-n"); got != saved {
		t.Errorf("configuration changed by a refused -a:\nbefore:\n%s\nafter:\n%s", saved, got)
	}

	for _, line := range []string{"this is not json\n", "{\"op\": 42}\n", "{\"op\":\"no-such-op\"}\n"} {
		resp := h.rawRequest(line)
		if resp.Err == nil || resp.Err.Msg == "" {
			t.Errorf("control socket answered %q with %+v, want an error", line, resp)
		} else {
			t.Logf("control socket answered %q with error %d %q", line, resp.Err.C, resp.Err.Msg)
		}
	}
	if got := h.adm("-S", "-n"); got != saved {
		t.Errorf("configuration changed by garbage on the control socket:\nbefore:\n%s\nafter:\n%s", saved, got)
	}

	// The daemon keeps working: it takes configuration and forwards.
	h.adm("-a", "-t", vip4tcp.String(), "-r", rip(labtraffic.VIP4, 0, 80).String(), "-g")
	h.adm("-a", "-t", vip4tcp.String(), "-r", rip(labtraffic.VIP4, 1, 80).String(), "-g")
	rep := h.traffic(labtraffic.Plan{TCP: []string{vip4tcp.String()}, UDP: []string{vip4udp.String()}, Conns: 4, Datagrams: 4})
	checkSplit(t, rep.Targets[0], map[string]int{"rs1": 2, "rs2": 2})
	checkFrameAccounting(t, d.stop(), 1)
}
