package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// run runs Main and returns its exit status and what it wrote.
func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// TestExitCodes checks what a user sees for bad command lines: exit 2 and
// the offending flag named, before any interface is touched; exit 1 for a
// missing interface; exit 0 for help.
func TestExitCodes(t *testing.T) {
	const dst = "--dst=198.18.0.100"
	for _, c := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{nil, ExitUsage, "usage: xlvs-pktgen COMMAND"},
		{[]string{"--help"}, ExitOK, "commands:"},
		{[]string{"blast"}, ExitUsage, `unknown command "blast"`},
		{[]string{"send", "--help"}, ExitOK, "--rate"},
		{[]string{"send", "--dev", "lo", dst, "--rate", "fast", "--count", "1"}, ExitUsage, `--rate "fast"`},
		{[]string{"send", "--dev", "lo", dst, "--rate", "200M", "--count", "1"}, ExitUsage, "impossible rate"},
		{[]string{"send", "--dev", "lo", dst, "--rate", "-5k", "--count", "1"}, ExitUsage, "impossible rate"},
		{[]string{"send", "--dev", "lo", dst, "--mode", "pcap", "--count", "1"}, ExitUsage, `--mode "pcap"`},
		{[]string{"send", "--dev", "lo", "--count", "1"}, ExitUsage, "--dst is required"},
		{[]string{"send", "--dev", "lo", "--dst", "198.18.0.300", "--count", "1"}, ExitUsage, `--dst "198.18.0.300"`},
		{[]string{"send", "--dev", "lo", dst, "--dport", "80-81", "--count", "1"}, ExitUsage, "want one port"},
		{[]string{"send", "--dev", "lo", dst, "--proto", "sctp", "--count", "1"}, ExitUsage, "sctp"},
		{[]string{"send", "--dev", "lo", dst, "--size", "20", "--count", "1"}, ExitUsage, "20"},
		{[]string{"send", "--dev", "lo", dst, "--dst-mac", "zz", "--count", "1"}, ExitUsage, `--dst-mac "zz"`},
		{[]string{"send", "--dev", "lo", dst, "--cpu", "4096", "--count", "1"}, ExitUsage, "--cpu 4096"},
		{[]string{"send", "--dev", "lo", dst, "--count", "1", "stray"}, ExitUsage, `unexpected argument "stray"`},
		{[]string{"send", "--dev", "lo", dst, "--nosuch"}, ExitUsage, "nosuch"},
		{[]string{"send", "--dev", "xlvs-nosuch0", dst, "--dst-mac", "02:00:00:00:00:01", "--count", "1"}, ExitFail, "interface xlvs-nosuch0"},
		{[]string{"send", dst, "--dst-mac", "02:00:00:00:00:01", "--count", "1"}, ExitUsage, "--dev (or --in/--out) is required"},
		{[]string{"sink"}, ExitUsage, "--dev (or --in/--out) is required"},
		{[]string{"sink", "--dev", "xlvs-nosuch0"}, ExitFail, "interface xlvs-nosuch0"},
		{[]string{"forward", "--in", "a", "--out", "b"}, ExitUsage, "--dst-mac is required"},
		{[]string{"forward", "--in", "a", "--out", "b", "--dst-mac", "02:00:00:00:00"}, ExitUsage, "--dst-mac is required"},
		{[]string{"forward", "--in", "a", "--out", "b", "--dst-mac", "02:00:00:00:00:01", "--busy-poll-us", "-1"}, ExitUsage, "--busy-poll-us must not be negative"},
		{[]string{"forward", "--in", "xlvs-nosuch0", "--out", "xlvs-nosuch1", "--dst-mac", "02:00:00:00:00:01"}, ExitFail, "interface xlvs-nosuch0"},
		{[]string{"reflect", "--in", "xlvs-nosuch0", "--out", "lo"}, ExitUsage, "--dst-mac is required"},
		{[]string{"reflect", "--in", "xlvs-nosuch0", "--out", "lo", "--dst-mac", "02:00:00:00:00:01"}, ExitFail, "interface xlvs-nosuch0"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("xlvs-pktgen %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestSendNeedsAnEnd: off a terminal, a send without --duration or
// --count would never end: refused as bad usage once the interface is
// known.
func TestSendNeedsAnEnd(t *testing.T) {
	code, _, stderr := run("send", "--dev", "lo", "--dst", "127.0.0.1", "--dst-mac", "02:00:00:00:00:01")
	if code != ExitUsage || !strings.Contains(stderr, "--duration or --count is needed") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{{"max", 0}, {"0", 0}, {"500k", 500e3}, {"500K", 500e3}, {"2M", 2e6}, {"1.5M", 1.5e6}, {"1G", 1e9}, {"12345", 12345}} {
		if got, err := parseRate(c.in); err != nil || got != c.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "fast", "2X", "M", "1.2.3k"} {
		if _, err := parseRate(bad); !errors.Is(err, errUsage) {
			t.Errorf("parseRate(%q): %v, want a usage error", bad, err)
		}
	}
}

func TestParseMAC(t *testing.T) {
	if m, err := parseMAC("dst-mac", ""); m != nil || err != nil {
		t.Errorf("empty: %v %v", m, err)
	}
	if m, err := parseMAC("dst-mac", "02:00:00:00:00:0a"); err != nil || m.String() != "02:00:00:00:00:0a" {
		t.Errorf("02:00:00:00:00:0a: %v %v", m, err)
	}
	// An InfiniBand address parses as a MAC but is not Ethernet's.
	if _, err := parseMAC("src-mac", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"); !errors.Is(err, errUsage) {
		t.Errorf("20-byte address: %v", err)
	}
}
