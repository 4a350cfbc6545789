package ipvsadm

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// TestRuleRequestRoundTrip applies every line of ipvsadm -S -n's real
// output (golden files) through RuleRequest to an in-memory IPVS and saves
// it again: the same rules come out. Where the addresses are less than 2^31
// apart (v6_S_n), saving what was restored is a fixed point, byte for
// byte. S_n mixes 10/8, 127/8, 192.168/16 and 200/8: ipvsadm's comparator
// truncates address differences to int and is not transitive there, so its
// order depends on the input order, as with the real ipvsadm -S | -R.
func TestRuleRequestRoundTrip(t *testing.T) {
	names := loadTestNames(t)
	for _, c := range []struct {
		file       string
		fixedPoint bool
	}{{"testdata/golden/S_n.stdout", false}, {"testdata/golden/v6_S_n.stdout", true}} {
		file := c.file
		t.Run(file, func(t *testing.T) {
			golden, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first := restoreAndSave(t, string(golden), names)
			if a, b := sortedLines(first), sortedLines(string(golden)); a != b {
				t.Errorf("saved after restore:\n%s\nwant the rules of:\n%s", first, golden)
			}
			if second := restoreAndSave(t, first, names); c.fixedPoint && second != first {
				t.Errorf("save is not a fixed point of restore:\n%s\nthen:\n%s", first, second)
			}
		})
	}
}

// restoreAndSave applies rules to a fresh in-memory IPVS through
// RuleRequest and returns ipvsadm -S -n's text of the result.
func restoreAndSave(t *testing.T, rules string, names Names) string {
	t.Helper()
	f := newFakeIPVS()
	for i, line := range strings.Split(rules, "\n") {
		req, err := RuleRequest("ipvsadm", line, names)
		if err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		if req == nil {
			if strings.TrimSpace(line) != "" {
				t.Fatalf("line %d %q: no request", i+1, line)
			}
			continue
		}
		if resp, _ := f.Do(req); resp.Err != nil {
			t.Fatalf("line %d %q refused: %v", i+1, line, resp.Err)
		}
	}
	resp, _ := f.Do(&api.Request{Op: api.OpListService})
	var out bytes.Buffer
	if err := Save(&out, resp.Services, true, names); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestRuleRequest(t *testing.T) {
	names := loadTestNames(t)
	vip := netip.MustParseAddr("198.18.0.100")
	key := api.ServiceKey{Protocol: api.ProtoTCP, Addr: vip, Port: 80}
	cases := []struct {
		line string
		want *api.Request
	}{
		{"", nil},
		{" \t\r\n", nil},
		{"ipvsadm -A -t 198.18.0.100:80 -s rr\r\n", &api.Request{Op: api.OpAddService,
			Service: &api.Service{Key: key, Scheduler: "rr", Netmask: 0xffffffff}}},
		{"-a -t 198.18.0.100:80 -r 198.18.0.11 ipvsadm -w 3", &api.Request{Op: api.OpAddDest, Service: &api.Service{Key: key},
			Dest: &api.Dest{Addr: netip.MustParseAddr("198.18.0.11"), Port: 80, Method: api.MethodRoute, Weight: 3}}},
		{"-d -t 198.18.0.100:80 -r 198.18.0.11:80", &api.Request{Op: api.OpDelDest, Service: &api.Service{Key: key},
			Dest: &api.Dest{Addr: netip.MustParseAddr("198.18.0.11"), Port: 80, Method: api.MethodRoute, Weight: 1}}},
		{"-D -t 198.18.0.100:80", &api.Request{Op: api.OpDelService, Service: &api.Service{Key: key}}},
		{"-C", &api.Request{Op: api.OpFlush}},
	}
	for _, c := range cases {
		got, err := RuleRequest("ipvsadm", c.line, names)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if reqString(got) != reqString(c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.line, reqString(got), reqString(c.want))
		}
	}
}

func TestRuleRequestErrors(t *testing.T) {
	names := loadTestNames(t)
	cases := []struct {
		line, msg string
		notRule   bool
	}{
		// ipvsadm -R's own transcripts (SPEC §1.10).
		{"# comment line", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", false},
		{"-A -t 10.9.9.9:80 -s rr # trailing comment", "unexpected argument #", false},
		{"-A -t 10.9.9.9:81 -s bogus -p x", "invalid timeout value `x' specified", false},
		{"-R", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", false},
		{"-A -t 10.9.9.9:0 -s rr", "Zero port specified for non-persistent service", false},
		{"-L -n", "the list command is not a rule: only commands that change the table belong in a rules file", true},
		{"-S -n", "the save command is not a rule: only commands that change the table belong in a rules file", true},
	}
	for _, c := range cases {
		req, err := RuleRequest("ipvsadm", c.line, names)
		if err == nil {
			t.Errorf("%q: accepted as %s", c.line, reqString(req))
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("%q: error %q, want %q", c.line, err, c.msg)
		}
		if errors.Is(err, ErrNotARule) != c.notRule {
			t.Errorf("%q: errors.Is(err, ErrNotARule) = %v", c.line, !c.notRule)
		}
	}
}

func TestRequestErrorText(t *testing.T) {
	add := &api.Request{Op: api.OpAddService}
	if got := RequestErrorText(add, api.NewError(api.CodeExists, "")); got != "Service already exists" {
		t.Errorf("add-service EEXIST: %q", got)
	}
	if got := RequestErrorText(&api.Request{Op: api.OpAddDest}, api.NewError(api.CodeExists, "")); got != "Destination already exists" {
		t.Errorf("add-dest EEXIST: %q", got)
	}
	if got := RequestErrorText(add, api.NewError(api.CodeUnsupported, "NAT is not supported by xlvs yet")); got != "NAT is not supported by xlvs yet" {
		t.Errorf("unsupported: %q", got)
	}
	if got := RequestErrorText(nil, syscall.ENOENT); got != "No such file or directory" {
		t.Errorf("bare errno: %q", got)
	}
}

func reqString(r *api.Request) string {
	if r == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(string(r.Op))
	if r.Service != nil {
		fmt.Fprintf(&b, " svc=%+v", *r.Service)
	}
	if r.Dest != nil {
		fmt.Fprintf(&b, " dest=%+v", *r.Dest)
	}
	return b.String()
}
