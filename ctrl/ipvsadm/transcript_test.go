package ipvsadm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

// transcriptStep is one command of a real-binary transcript.
type transcriptStep struct {
	args []string
	want result
}

// parseTranscript reads the SPEC §1.9 transcript format: "$ ipvsadm ARGS"
// then optional [stdout]/[stderr] sections whose lines end in "⏎", then
// "[exit N]".
func parseTranscript(t *testing.T, path string) []transcriptStep {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []transcriptStep
	var cur *transcriptStep
	var section *string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "$ ipvsadm"):
			steps = append(steps, transcriptStep{args: strings.Fields(line)[2:]})
			cur, section = &steps[len(steps)-1], nil
		case line == "[stdout]":
			section = &cur.want.stdout
		case line == "[stderr]":
			section = &cur.want.stderr
		case strings.HasPrefix(line, "[exit "):
			cur.want.code, err = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "[exit "), "]"))
			if err != nil {
				t.Fatalf("bad exit line %q", line)
			}
		case section != nil && strings.HasSuffix(line, "⏎"):
			*section += strings.TrimSuffix(line, "⏎") + "\n"
		}
	}
	return steps
}

// TestTranscript replays SPEC §1.9's transcript of the real binary, in
// order, against one fake IPVS: parser rejections come from the parser,
// kernel rejections from the fake's errno codes through ipvs_strerror.
func TestTranscript(t *testing.T) {
	steps := parseTranscript(t, "testdata/transcript_1_9.txt")
	if len(steps) < 100 {
		t.Fatalf("only %d steps parsed", len(steps))
	}
	f := newFakeIPVS()
	names := loadTestNames(t)
	for i, st := range steps {
		// The transcript joins two captures (runs/errors1.txt and
		// errors2.txt), each on a fresh table; the second one starts by
		// adding 1.2.3.4:80 again.
		if strings.Join(st.args, " ") == "-A -t 1.2.3.4:80 -s rr" {
			f = newFakeIPVS()
		}
		want := st.want
		got := runWith(t, f, names, "", st.args...)
		if got != want {
			t.Errorf("step %d: ipvsadm %s\n got %+v\nwant %+v", i, strings.Join(st.args, " "), got, want)
		}
	}
}

// TestKernelErrorTexts checks the ipvs_strerror mapping of every (request,
// errno) pair of libipvs's table, the strerror fallback and xlvs' own
// refusals.
func TestKernelErrorTexts(t *testing.T) {
	tests := []struct {
		op   api.Op
		err  error
		want string
	}{
		{api.OpAddService, api.NewError(api.CodeExists, "x"), "Service already exists"},
		{api.OpAddService, api.NewError(api.CodeNotFound, ""), "Scheduler or persistence engine not found"},
		{api.OpEditService, api.NewError(api.CodeNoService, ""), "No such service"},
		{api.OpEditService, api.NewError(api.CodeNotFound, ""), "Scheduler or persistence engine not found"},
		{api.OpDelService, api.NewError(api.CodeNoService, ""), "No such service"},
		{api.OpZero, api.NewError(api.CodeNoService, ""), "No such service"},
		{api.OpAddDest, api.NewError(api.CodeNoService, ""), "Service not defined"},
		{api.OpAddDest, api.NewError(api.CodeExists, ""), "Destination already exists"},
		{api.OpEditDest, api.NewError(api.CodeNoService, ""), "Service not defined"},
		{api.OpEditDest, api.NewError(api.CodeNotFound, ""), "No such destination"},
		{api.OpDelDest, api.NewError(api.CodeNoService, ""), "Service not defined"},
		{api.OpDelDest, api.NewError(api.CodeNotFound, ""), "No such destination"},
		{api.OpListService, api.NewError(api.CodeNoService, ""), "No such service"},
		{api.OpGetService, api.NewError(api.CodeNoService, ""), "No such service"},
		{api.OpFlush, api.NewError(api.CodePerm, ""), "Permission denied (you must be root)"},
		{api.OpAddDest, api.NewError(api.CodeInvalid, "weight"), "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
		{api.OpAddService, api.NewError(api.CodeNoMem, ""), "Memory allocation problem"},
		{api.OpAddService, api.NewError(api.CodeAFNoSupport, ""), "Operation not supported with specified address family"},
		{api.OpAddService, api.NewError(api.Code(syscall.ENOPROTOOPT), ""), "Protocol not available"},
		{api.OpAddService, api.NewError(api.Code(syscall.EMSGSIZE), ""), "Module is wrong version"},
		{api.OpAddService, api.NewError(api.CodeUnsupported, ""), "Operation not supported with IPv6"},
		// strerror fallbacks.
		{api.OpAddDest, api.NewError(api.CodeRange, ""), "Numerical result out of range"},
		{api.OpDelService, api.NewError(api.CodeNotFound, ""), "No such file or directory"},
		{api.OpSetTimeouts, api.NewError(api.CodeNoService, ""), "No such process"},
		{api.OpAddService, api.NewError(api.CodeNoDevice, ""), "No such device"},
		{api.OpAddService, api.NewError(api.Code(syscall.EFAULT), ""), "Bad address"},
		{api.OpAddService, api.NewError(api.Code(4000), ""), "Unknown error 4000"},
		// xlvs: a feature it lacks says so; transport errors print as is.
		{api.OpAddService, api.NewError(api.CodeUnsupported, "firewall-mark services are not supported by xlvs yet"),
			"firewall-mark services are not supported by xlvs yet"},
		{api.OpFlush, errors.New("read response: EOF"), "read response: EOF"},
		{api.OpFlush, fmt.Errorf("send: %w", syscall.EPIPE), "Broken pipe"},
	}
	for _, tt := range tests {
		if got := requestErrorText(funcOf(tt.op), tt.err); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.op, tt.err, got, tt.want)
		}
	}
	if got := ipvsStrerror(fnStartDaemon, syscall.EEXIST); got != "Daemon has already run" {
		t.Errorf("start daemon EEXIST: %q", got)
	}
	if got := ipvsStrerror(fnStopDaemon, syscall.ESRCH); got != "No daemon is running" {
		t.Errorf("stop daemon ESRCH: %q", got)
	}
}

// errClient refuses every request with one error.
type errClient struct{ err error }

func (c errClient) Do(*api.Request) (*api.Response, error) {
	var ae *api.Error
	if errors.As(c.err, &ae) {
		return &api.Response{Err: ae}, nil
	}
	return nil, c.err
}

func TestExitCodesOfRefusals(t *testing.T) {
	names := loadTestNames(t)
	tests := []struct {
		args []string
		err  error
		want result
	}{
		// Set commands: 255.
		{[]string{"-C"}, api.NewError(api.CodePerm, ""), result{"", "Permission denied (you must be root)\n", 255}},
		{[]string{"--set", "1", "2", "3"}, api.NewError(api.CodeInvalid, ""),
			result{"", "Invalid operation.  Possibly wrong module version, address not unicast, ...\n", 255}},
		{[]string{"-A", "-f", "1"}, api.NewError(api.CodeUnsupported, "firewall-mark services are not supported by xlvs yet"),
			result{"", "firewall-mark services are not supported by xlvs yet\n", 255}},
		// List commands: 1.
		{[]string{"-L", "-n"}, api.NewError(api.CodePerm, ""), result{"", "Permission denied (you must be root)\n", 1}},
		{[]string{"-S"}, api.NewError(api.CodeNoService, ""), result{"", "No such service\n", 1}},
		{[]string{"-L", "--timeout"}, errors.New("read response: EOF"), result{"", "read response: EOF\n", 1}},
		{[]string{"-L", "-c"}, api.NewError(api.CodeNoMem, ""), result{"", "Memory allocation problem\n", 1}},
	}
	for _, tt := range tests {
		got := runWith(t, errClient{tt.err}, names, "", tt.args...)
		if got != tt.want {
			t.Errorf("%v: %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestDialFailure(t *testing.T) {
	var out, errb strings.Builder
	refused := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ENOENT)}
	e := &Env{Stdout: &out, Stderr: &errb, Socket: "/run/xlvs/test.sock",
		Dial: func() (Client, error) { return nil, refused }}
	if code := e.Run("ipvsadm", []string{"-L", "-n"}); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	want := "Can't initialize ipvs: No such file or directory\n" +
		"Are you sure that xlvsd is running and serving its control socket at /run/xlvs/test.sock (set XLVS_SOCKET to use another)?\n"
	if errb.String() != want || out.String() != "" {
		t.Errorf("stderr %q stdout %q, want %q", errb.String(), out.String(), want)
	}
	errb.Reset()
	// A dial function returning a typed nil pointer with its error (as
	// "return client.Dial(path)" does) must not be used or closed.
	e.Dial = func() (Client, error) {
		var c *closingClient
		return c, os.NewSyscallError("connect", syscall.EACCES)
	}
	e.Run("ipvsadm", []string{"-C"})
	if !strings.HasPrefix(errb.String(), "Can't initialize ipvs: Permission denied (you must be root)\n") {
		t.Errorf("EACCES: %q", errb.String())
	}
}

// closingClient panics when used through a nil pointer, like a real
// connection type would.
type closingClient struct{ closed bool }

func (c *closingClient) Do(*api.Request) (*api.Response, error) { return &api.Response{}, nil }
func (c *closingClient) Close() error                           { c.closed = true; return nil }

// TestClientClosed checks that the client dialed for a run is closed.
func TestClientClosed(t *testing.T) {
	c := &closingClient{}
	e := &Env{Dial: func() (Client, error) { return c, nil }}
	if code := e.Run("ipvsadm", []string{"-C"}); code != 0 || !c.closed {
		t.Errorf("code %d, closed %v", code, c.closed)
	}
}

// TestNoDialWithoutDaemon checks that help, version and parse errors never
// reach for the daemon.
func TestNoDialWithoutDaemon(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help", "--bogus"}, {"-v"}, {"--version"}, {"-q"}, {"-A"}, {"-L", "--bogus"},
		{"--start-daemon", "bogus"}, {"--stop-daemon", "master", "-n"},
	} {
		var out, errb strings.Builder
		e := &Env{Stdout: &out, Stderr: &errb, Dial: func() (Client, error) {
			t.Errorf("%v dialed the daemon", args)
			return nil, errors.New("no")
		}}
		e.Run("ipvsadm", args)
	}
}

func TestUsageAndVersion(t *testing.T) {
	want, err := os.ReadFile("testdata/usage.stdout")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-h", "-A", "--nonsense"}} {
		r := runWith(t, nil, nil, "", args...)
		if r.stdout != string(want) || r.stderr != "" || r.code != 0 {
			t.Errorf("%v: code %d stderr %q stdout:\n%s", args, r.code, r.stderr, r.stdout)
		}
	}
	var out strings.Builder
	(&Env{Stdout: &out}).Run("xlvsadm", []string{"-h"})
	if !strings.Contains(out.String(), "\n  xlvsadm -A|E virtual-service") || strings.Contains(out.String(), "  ipvsadm -") {
		t.Errorf("usage does not use the program name:\n%s", out.String())
	}
	r := runWith(t, nil, nil, "", "-v")
	if r.stdout != "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n" || r.code != 0 {
		t.Errorf("-v: %+v", r)
	}
	r = runWith(t, nil, nil, "", "-L", "-h")
	if r.stderr != "invalid option `-h'\n" || r.code != 2 {
		t.Errorf("-L -h: %+v", r)
	}
}
