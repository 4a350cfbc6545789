package ipvsadm

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// TestRestore replays SPEC §1.10's -R cases.
func TestRestore(t *testing.T) {
	names := loadTestNames(t)
	tests := []struct {
		name  string
		input string
		want  result
		save  string // ipvsadm -S -n afterwards
	}{
		{"kernel error in the middle goes on", "-A -t 10.9.9.9:80 -s rr\n" +
			"ipvsadm -a -t 10.9.9.9:80 -r 10.1.1.1:80 -m\n\n  \t \r\n" +
			"-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m\n" +
			"-a -t 10.9.9.9:80 -r 10.1.1.2:80 -w 3",
			result{"", "Destination already exists\n", 0},
			"-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m -w 1\n-a -t 10.9.9.9:80 -r 10.1.1.2:80 -g -w 3\n"},
		{"last line's status", "-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m\n-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m\n",
			result{"", "Destination already exists\n", 255},
			"-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m -w 1\n"},
		{"no comments", "# comment line\n-A -t 10.9.9.9:80 -s rr\n",
			result{"", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255}, ""},
		{"parser error stops", "-A -t 10.9.9.9:80 -s rr\n-A -t 10.9.9.9:81 -s bogus -p x\n-A -t 10.9.9.9:82 -s rr\n",
			result{"", "invalid timeout value `x' specified\n", 2}, "-A -t 10.9.9.9:80 -s rr\n"},
		{"trailing comment", "-A -t 10.9.9.9:80 -s rr # trailing comment\n",
			result{"", "unexpected argument #\n", 2}, ""},
		{"popt error goes on", "-A -t 10.9.9.9:80 -q\n-A -t 10.9.9.9:81\n",
			result{"", "-q: unknown option\n", 0}, "-A -t 10.9.9.9:81 -s wlc\n"},
		{"no -R inside", "-A -t 10.9.9.9:80\n-R\n-A -t 10.9.9.9:81\n",
			result{"", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255}, "-A -t 10.9.9.9:80 -s wlc\n"},
		{"lists inside", "-A -t 10.9.9.9:80\nipvsadm -L --timeout\n",
			result{"Timeout (tcp tcpfin udp): 900 120 300\n", "", 0}, "-A -t 10.9.9.9:80 -s wlc\n"},
		{"list error exits 1", "-L -t 10.9.9.9:80\n-A -t 10.9.9.9:80\n", result{"", "No such service\n", 1}, ""},
		{"help exits", "-h\n-A -t 10.9.9.9:80\n", result{"", "", 0}, ""},
	}
	for _, tt := range tests {
		f := newFakeIPVS()
		got := runWith(t, f, names, tt.input, "-R")
		if tt.name == "help exits" {
			if !strings.HasPrefix(got.stdout, "ipvsadm v1.31") {
				t.Errorf("%s: stdout %q", tt.name, got.stdout)
			}
			got.stdout = ""
		}
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
		if s := runWith(t, f, names, "", "-S", "-n"); s.stdout != tt.save {
			t.Errorf("%s: table afterwards:\n%s\nwant:\n%s", tt.name, s.stdout, tt.save)
		}
	}
}

// TestSaveRestoreRoundTrip restores the golden -S output into an empty
// table and saves it again: the same rules come back (thresholds aside,
// which -S does not save).
func TestSaveRestoreRoundTrip(t *testing.T) {
	names := loadTestNames(t)
	for _, name := range []string{"S", "S_n", "v6_S_n"} {
		want := readGolden(t, name, ".stdout")
		f := newFakeIPVS()
		if r := runWith(t, f, names, want, "-R"); r != (result{}) {
			t.Fatalf("%s: restore: %+v", name, r)
		}
		args := []string{"-S"}
		if strings.HasSuffix(name, "_n") {
			args = append(args, "-n")
		}
		// The comparator is not transitive, so the order of a listing
		// depends on the order the table returns: compare the rules only.
		r := runWith(t, f, names, "", args...)
		if got := sortedLines(r.stdout); got != sortedLines(want) {
			t.Errorf("%s: round trip:\n%s\nwant:\n%s", name, r.stdout, want)
		}
	}
}

func sortedLines(s string) string {
	l := strings.Split(s, "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// TestReplaceSemantics is SPEC §1.6's transcript: -E and -e reset every
// attribute not given.
func TestReplaceSemantics(t *testing.T) {
	names := loadTestNames(t)
	f := newFakeIPVS()
	for _, l := range []string{
		"-A -t 10.0.0.1:443 -s rr -p 900 -M 255.255.0.0",
		"-a -t 10.0.0.1:443 -r 192.168.1.1 -m -w 50 -x 100 -y 10",
		"-E -t 10.0.0.1:443 -s wlc",
		"-e -t 10.0.0.1:443 -r 192.168.1.1",
	} {
		if r := runWith(t, f, names, "", strings.Fields(l)...); r != (result{}) {
			t.Fatalf("%s: %+v", l, r)
		}
	}
	r := runWith(t, f, names, "", "-S", "-n")
	if want := "-A -t 10.0.0.1:443 -s wlc\n-a -t 10.0.0.1:443 -r 192.168.1.1:443 -g -w 1\n"; r.stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// TestRequests checks the requests sent for each command.
func TestRequests(t *testing.T) {
	names := loadTestNames(t)
	key := api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	tests := []struct {
		args string
		want api.Request
	}{
		{"-A -t 10.0.0.1:80 -s rr -p", api.Request{Op: api.OpAddService, Service: &api.Service{Key: key, Scheduler: "rr",
			Flags: api.SvcPersistent, Timeout: 360, Netmask: 0xffffffff}}},
		{"-D -t 10.0.0.1:80", api.Request{Op: api.OpDelService, Service: &api.Service{Key: key}}},
		{"-Z -t 10.0.0.1:80", api.Request{Op: api.OpZero, Service: &api.Service{Key: key}}},
		{"-Z", api.Request{Op: api.OpZero}},
		{"-C", api.Request{Op: api.OpFlush}},
		{"--set 10 0 30", api.Request{Op: api.OpSetTimeouts, Timeouts: &api.Timeouts{TCP: 10, UDP: 30}}},
		{"-d -t 10.0.0.1:80 -r 10.1.1.1", api.Request{Op: api.OpDelDest, Service: &api.Service{Key: key},
			Dest: &api.Dest{Addr: netip.MustParseAddr("10.1.1.1"), Port: 80, Method: api.MethodRoute, Weight: 1}}},
		{"-e -t 10.0.0.1:80 -r 10.1.1.1:81 -m -w 0", api.Request{Op: api.OpEditDest, Service: &api.Service{Key: key},
			Dest: &api.Dest{Addr: netip.MustParseAddr("10.1.1.1"), Port: 81, Method: api.MethodMasq}}},
		{"-L -n -t 10.0.0.1:80", api.Request{Op: api.OpGetService, Service: &api.Service{Key: key}}},
		{"-L -c", api.Request{Op: api.OpListConns}},
		{"-L --timeout", api.Request{Op: api.OpGetTimeouts}},
		{"-S", api.Request{Op: api.OpListService}},
	}
	for _, tt := range tests {
		f := newFakeIPVS()
		runWith(t, f, names, "", strings.Fields(tt.args)...)
		if len(f.reqs) != 1 || !sameRequest(f.reqs[0], tt.want) {
			t.Errorf("%s: sent %+v, want %+v", tt.args, f.reqs, tt.want)
		}
	}
	f := newFakeIPVS()
	runWith(t, f, names, "", "-L")
	if len(f.reqs) != 2 || f.reqs[0].Op != api.OpGetInfo || f.reqs[1].Op != api.OpListService {
		t.Errorf("-L sent %+v", f.reqs)
	}
}

func sameRequest(a, b api.Request) bool {
	if a.Op != b.Op || (a.Service == nil) != (b.Service == nil) || (a.Dest == nil) != (b.Dest == nil) ||
		(a.Timeouts == nil) != (b.Timeouts == nil) {
		return false
	}
	if a.Service != nil {
		x, y := *a.Service, *b.Service
		if x.Key != y.Key || x.Scheduler != y.Scheduler || x.Flags != y.Flags || x.Timeout != y.Timeout ||
			x.Netmask != y.Netmask || x.PE != y.PE || len(x.Dests) != 0 {
			return false
		}
	}
	if a.Dest != nil && *a.Dest != *b.Dest {
		return false
	}
	return a.Timeouts == nil || *a.Timeouts == *b.Timeouts
}

// TestNoArgsLists: a bare ipvsadm is ipvsadm -L.
func TestNoArgsLists(t *testing.T) {
	f := newFakeIPVS()
	r := runWith(t, f, loadTestNames(t), "")
	want := "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	if r != (result{want, "", 0}) {
		t.Errorf("%+v", r)
	}
}
