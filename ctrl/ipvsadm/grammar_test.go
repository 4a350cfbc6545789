package ipvsadm

import (
	"strings"
	"testing"
)

// The tests in this file pin, area by area, what ipvsadm 1.31 prints and
// returns for each command and option of its grammar (SPEC.md §1): stdout,
// stderr and the exit status of whole invocations, and the table they leave
// behind as `ipvsadm -S -n` prints it. They run against fakeIPVS, which
// answers with the kernel's errno codes; feature_test.go runs the features
// xlvs refuses through the daemon's real control path.

// emptyTable is the -S -n output of an empty table (save checks compare
// with it; an empty cliCase.save means "do not check").
const emptyTable = "(empty)"

// cliCase is one invocation on a fresh table.
type cliCase struct {
	args  string   // argv after the program name, split on blanks; '' is an empty word
	setup []string // command lines run first, each of which must succeed
	stdin string
	want  result
	save  string // ipvsadm -S -n afterwards; "" skips the check
}

// words splits a cliCase command line: blank-separated words, ” standing
// for an empty word and ⎵ for a blank inside a word.
func words(line string) []string {
	f := strings.Fields(line)
	for i, w := range f {
		if w == "''" {
			w = ""
		}
		f[i] = strings.ReplaceAll(w, "⎵", " ")
	}
	return f
}

func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	names := loadTestNames(t)
	for _, tc := range cases {
		f := newFakeIPVS()
		for _, s := range tc.setup {
			if r := runWith(t, f, names, "", words(s)...); r != (result{}) {
				t.Fatalf("%q: setup %q: %+v", tc.args, s, r)
			}
		}
		got := runWith(t, f, names, tc.stdin, words(tc.args)...)
		if got != tc.want {
			t.Errorf("ipvsadm %s\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
		if tc.save == "" {
			continue
		}
		want := tc.save
		if want == emptyTable {
			want = ""
		}
		if s := runWith(t, f, names, "", "-S", "-n"); s.stdout != want || s.code != 0 {
			t.Errorf("ipvsadm %s: table afterwards:\n%s(exit %d)\nwant:\n%s", tc.args, s.stdout, s.code, want)
		}
	}
}

func ok() result { return result{} }

func stderr(msg string, code int) result { return result{"", msg + "\n", code} }

const (
	tryHelpMsg = "Try `ipvsadm -h' or 'ipvsadm --help' for more information."
	svc80      = "-A -t 10.0.0.1:80 -s wlc\n"
)

// TestGrammarCommands runs every command in its short and long forms.
func TestGrammarCommands(t *testing.T) {
	addRR := "-A -t 10.0.0.1:80 -s rr"
	addDest := "-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2"
	listRR := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  10.0.0.1:80 rr\n" +
		"  -> 192.168.1.1:80               Route   2      0          0         \n"
	runCases(t, []cliCase{
		// -A, --add-service.
		{args: "-A -t 10.0.0.1:80", want: ok(), save: svc80},
		{args: "--add-service --tcp-service 10.0.0.1:80 --scheduler rr", want: ok(), save: "-A -t 10.0.0.1:80 -s rr\n"},
		{args: "-A -t 10.0.0.1:80", setup: []string{addRR}, want: stderr("Service already exists", 255), save: "-A -t 10.0.0.1:80 -s rr\n"},
		// -E, --edit-service: a replace, unspecified attributes revert.
		{args: "-E -t 10.0.0.1:80 -s sh", setup: []string{"-A -t 10.0.0.1:80 -s wrr -p 60"}, want: ok(), save: "-A -t 10.0.0.1:80 -s sh\n"},
		{args: "--edit-service -t 10.0.0.1:80", setup: []string{addRR}, want: ok(), save: svc80},
		{args: "-E -t 10.0.0.1:81", setup: []string{addRR}, want: stderr("No such service", 255)},
		// -D, --delete-service: the service and its real servers.
		{args: "-D -t 10.0.0.1:80", setup: []string{addRR, addDest, "-A -t 10.0.0.1:81"}, want: ok(), save: "-A -t 10.0.0.1:81 -s wlc\n"},
		{args: "--delete-service --tcp-service 10.0.0.1:80", setup: []string{addRR}, want: ok(), save: emptyTable},
		{args: "-D -t 10.0.0.1:81", setup: []string{addRR}, want: stderr("No such service", 255)},
		// -C, --clear.
		{args: "-C", setup: []string{addRR, addDest, "-A -u 10.0.0.1:53"}, want: ok(), save: emptyTable},
		{args: "--clear", setup: []string{addRR}, want: ok(), save: emptyTable},
		{args: "-C", want: ok(), save: emptyTable},
		// -R, --restore.
		{args: "-R", stdin: "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1 -w 2\n", want: ok(),
			save: "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 2\n"},
		{args: "--restore", stdin: "ipvsadm -A -t 10.0.0.1:80\n", want: ok(), save: svc80},
		// -S, --save: names unless -n.
		{args: "-S", setup: []string{addRR, addDest}, want: result{"-A -t 10.0.0.1:http -s rr\n-a -t 10.0.0.1:http -r 192.168.1.1:http -g -w 2\n", "", 0}},
		{args: "--save --numeric", setup: []string{addRR}, want: result{"-A -t 10.0.0.1:80 -s rr\n", "", 0}},
		{args: "-S", want: ok()},
		// -a, --add-server.
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1", setup: []string{addRR}, want: ok(),
			save: "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 1\n"},
		{args: "--add-server --tcp-service 10.0.0.1:80 --real-server 192.168.1.1:80 --weight 3 --gatewaying", setup: []string{addRR}, want: ok(),
			save: "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -g -w 3\n"},
		{args: "-a -t 10.0.0.1:81 -r 192.168.1.1", setup: []string{addRR}, want: stderr("Service not defined", 255)},
		{args: "-a -t 10.0.0.1:80 -r 192.168.1.1", setup: []string{addRR, addDest}, want: stderr("Destination already exists", 255)},
		// -e, --edit-server: a replace too.
		{args: "-e -t 10.0.0.1:80 -r 192.168.1.1:8080 -w 5", setup: []string{addRR, "-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 2 -x 10 -y 5"},
			want: stderr("No such destination", 255)}, // -g forces the virtual port: 192.168.1.1:80 is not there
		{args: "--edit-server -t 10.0.0.1:80 -r 192.168.1.1 -m", setup: []string{addRR, addDest}, want: ok(),
			save: "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1\n"},
		// -d, --delete-server.
		{args: "-d -t 10.0.0.1:80 -r 192.168.1.1", setup: []string{addRR, addDest}, want: ok(), save: "-A -t 10.0.0.1:80 -s rr\n"},
		{args: "--delete-server -t 10.0.0.1:80 -r 192.168.1.1:80", setup: []string{addRR, addDest}, want: ok(), save: "-A -t 10.0.0.1:80 -s rr\n"},
		{args: "-d -t 10.0.0.1:80 -r 192.168.1.9", setup: []string{addRR, addDest}, want: stderr("No such destination", 255)},
		// -L, -l, --list; no arguments at all is -L.
		{args: "-L -n", setup: []string{addRR, addDest}, want: result{listRR, "", 0}},
		{args: "-l -n", setup: []string{addRR, addDest}, want: result{listRR, "", 0}},
		{args: "--list --numeric", setup: []string{addRR, addDest}, want: result{listRR, "", 0}},
		{args: "", setup: []string{addRR, addDest}, want: result{strings.ReplaceAll(strings.ReplaceAll(listRR, "10.0.0.1:80", "10.0.0.1:http"),
			"192.168.1.1:80   ", "192.168.1.1:http "), "", 0}},
		// -Z, --zero: all services, or one.
		{args: "-Z", setup: []string{addRR}, want: ok()},
		{args: "--zero --tcp-service 10.0.0.1:80", setup: []string{addRR}, want: ok()},
		{args: "-Z -t 10.0.0.1:81", setup: []string{addRR}, want: stderr("No such service", 255)},
		// --set, then -L --timeout; 0 keeps a value.
		{args: "-L --timeout", setup: []string{"--set 3600 60 600"}, want: result{"Timeout (tcp tcpfin udp): 3600 60 600\n", "", 0}},
		{args: "-L --timeout", setup: []string{"--set 3600 60 600", "--set 0 30 0"}, want: result{"Timeout (tcp tcpfin udp): 3600 30 600\n", "", 0}},
		{args: "--set 1 2", want: stderr("--set option requires 3 timeout values", 2)},
		// -h/--help and -v/--version end the line at once.
		{args: "-v --bogus", want: result{"ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n", "", 0}},
		{args: "--version", want: result{"ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n", "", 0}},
		// Nothing else starts a line.
		{args: "-V", want: stderr(tryHelpMsg, 255)},
		{args: "-n -L", want: stderr(tryHelpMsg, 255)},
		{args: "-t 1.2.3.4:80", want: stderr(tryHelpMsg, 255)},
		{args: "list", want: stderr(tryHelpMsg, 255)},
		{args: "-L -Z", want: stderr("invalid option `-Z'", 2)},
		{args: "-L --set", want: stderr("invalid option `--set'", 2)},
		{args: "-L --version", want: stderr("invalid option `--version'", 2)},
		// popt's bad option is the last word it read: the value.
		{args: "-L --start-daemon master", want: stderr("invalid option `master'", 2)},
		{args: "-L --start-daemon", want: stderr("--start-daemon: missing argument", 255)},
		{args: "-Lh", want: stderr("invalid option `-Lh'", 2)},
	})
}

// TestGrammarPopt pins popt's handling of long and short forms, bundles,
// attached values and abbreviations. popt matches long names exactly
// (longOptionStrcmp compares the lengths first): an abbreviation is an
// unknown option, or "Try ..." when it stands where the command must be.
func TestGrammarPopt(t *testing.T) {
	conns := "IPVS connection entries\npro expire state       source             virtual            destination\n"
	empty := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	runCases(t, []cliCase{
		// Bundles of short options.
		{args: "-Ln", want: result{empty, "", 0}},
		{args: "-lnc", want: result{conns, "", 0}},
		{args: "-Lnc", want: result{conns, "", 0}},
		{args: "-Lcn", want: result{conns, "", 0}},
		{args: "-L -nc", want: result{conns, "", 0}},
		{args: "-nL", want: stderr(tryHelpMsg, 255)},
		{args: "-Lnn", want: stderr("multiple 'numeric' options specified", 2)},
		{args: "-Lnq", want: stderr("-Lnq: unknown option", 255)},
		// Values: attached, after '=', or the next word.
		{args: "-At 10.0.0.1:80", want: ok(), save: svc80},
		{args: "-A -t10.0.0.1:80 -srr", want: ok(), save: "-A -t 10.0.0.1:80 -s rr\n"},
		{args: "-A -t=10.0.0.1:80 -p=60", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 60\n"},
		{args: "-A --tcp-service=10.0.0.1:80 --scheduler=rr --persistent=60", want: ok(), save: "-A -t 10.0.0.1:80 -s rr -p 60\n"},
		{args: "-A --tcp-service 10.0.0.1:80 --persistent 60", want: ok(), save: "-A -t 10.0.0.1:80 -s wlc -p 60\n"},
		{args: "-A -t 10.0.0.1:80 -p60 -srr", want: ok(), save: "-A -t 10.0.0.1:80 -s rr -p 60\n"},
		// A required value is the next word even when it looks like an option.
		{args: "-A -t -n", want: stderr("illegal virtual server address[:port] specified", 2)},
		{args: "-A -t 10.0.0.1:80 -s -p", want: stderr("Scheduler or persistence engine not found", 255)},
		// An optional one (-p) never starts with '-'.
		{args: "-A -t 10.0.0.1:80 -p -s rr", want: ok(), save: "-A -t 10.0.0.1:80 -s rr -p 360\n"},
		{args: "-A -t 10.0.0.1:80 -p ''", want: stderr("invalid timeout value `' specified", 2)},
		// Missing values and unwanted ones.
		{args: "-A --tcp-service", want: stderr("--tcp-service: missing argument", 255)},
		{args: "-a -t 10.0.0.1:80 -r", want: stderr("-r: missing argument", 255)},
		{args: "-L --numeric=yes", want: stderr("--numeric=yes: option does not take an argument", 255)},
		{args: "--list=yes", want: stderr(tryHelpMsg, 255)},
		// No abbreviations, wherever they stand.
		{args: "--lis", want: stderr(tryHelpMsg, 255)},
		{args: "--add -t 10.0.0.1:80", want: stderr(tryHelpMsg, 255), save: emptyTable},
		{args: "--add-serv -t 10.0.0.1:80", want: stderr(tryHelpMsg, 255)},
		{args: "-L --numer", want: stderr("--numer: unknown option", 255)},
		{args: "-L --stat", want: stderr("--stat: unknown option", 255)},
		{args: "-L --n", want: stderr("--n: unknown option", 255)},
		{args: "-A --tcp 10.0.0.1:80", want: stderr("--tcp: unknown option", 255), save: emptyTable},
		{args: "-A -t 10.0.0.1:80 --sched rr", want: stderr("--sched: unknown option", 255), save: emptyTable},
		{args: "-L --timeouts", want: stderr("--timeouts: unknown option", 255)},
		// No one-dash long options: -list is -l -i -s "t".
		{args: "-list", want: stderr("Illegal 'scheduler' option with the 'list' command", 2)},
		// Case matters.
		{args: "-L -N", want: stderr("-N: unknown option", 255)},
		{args: "--LIST", want: stderr(tryHelpMsg, 255)},
		// "--" ends the options; "-" is a word.
		{args: "-L -- -n", want: stderr("unexpected argument -n", 2)},
		{args: "-L -", want: stderr("unexpected argument -", 2)},
	})
}
