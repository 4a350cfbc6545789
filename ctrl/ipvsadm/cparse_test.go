package ipvsadm

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestInetAton(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4":         "1.2.3.4",
		"10.1":            "10.0.0.1",
		"10.1.2":          "10.1.0.2",
		"167772161":       "10.0.0.1",
		"0x0a.0.0.1":      "10.0.0.1",
		"012.0.0.1":       "10.0.0.1",
		"255.255.255.255": "255.255.255.255",
		"1.2.3.4 junk":    "1.2.3.4", // glibc stops at a blank
		"1.2.65535":       "1.2.255.255",
	} {
		got, ok := inetAton(in)
		if !ok || got != netip.MustParseAddr(want) {
			t.Errorf("inetAton(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "999.1.1.1", "1.2.3.4.5", "1.2.3.", "08.1.1.1", "0x", "a.b.c.d", "1.2.65536", "4294967296", "+1.2.3.4", " 1.2.3.4", "1.2.3.4:80"} {
		if got, ok := inetAton(in); ok {
			t.Errorf("inetAton(%q) = %v, want failure", in, got)
		}
	}
}

func TestStringToNumber(t *testing.T) {
	for _, tt := range []struct {
		in       string
		min, max int64
		want     int64
		ok       bool
	}{
		{"80", 0, 65535, 80, true},
		{" 80", 0, 65535, 80, true},
		{"+80", 0, 65535, 80, true},
		{"-0", 0, 65535, 0, true},
		{"80 ", 0, 65535, 0, false},
		{"0x50", 0, 65535, 0, false},
		{"", 0, 65535, 0, false},
		{"65536", 0, 65535, 0, false},
		{"-1", 0, 65535, 0, false},
		{"2147483647", 0, 1<<31 - 1, 1<<31 - 1, true},
		{"99999999999999999999", 0, 1<<62 - 1, 0, false},
	} {
		got, ok := stringToNumber(tt.in, tt.min, tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stringToNumber(%q) = %d %v, want %d %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if atoi("64abc") != 64 || atoi(" -3") != -3 || atoi("x") != 0 {
		t.Errorf("atoi: %d %d %d", atoi("64abc"), atoi(" -3"), atoi("x"))
	}
}

func TestParseServices(t *testing.T) {
	db, err := ParseServices(strings.NewReader("# c\nhttp\t80/tcp\twww # web\nhttp 80/udp\n" +
		"bad line\nnoport x/tcp\nhttp-alt 8080/tcp webcache\nalt 8080/tcp\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, proto string
		port        uint16
		ok          bool
	}{
		{"http", "tcp", 80, true}, {"www", "tcp", 80, true}, {"http", "udp", 80, true},
		{"www", "udp", 0, false}, {"webcache", "tcp", 8080, true}, {"alt", "tcp", 8080, true}, {"bad", "tcp", 0, false},
	} {
		if p, ok := db.Port(tt.name, tt.proto); p != tt.port || ok != tt.ok {
			t.Errorf("Port(%s/%s) = %d %v", tt.name, tt.proto, p, ok)
		}
	}
	if n := db.PortName(8080, "tcp"); n != "http-alt" {
		t.Errorf("PortName(8080/tcp) = %q, want the first entry's official name", n)
	}
	if n := db.PortName(8080, "udp"); n != "" {
		t.Errorf("PortName(8080/udp) = %q, want none", n)
	}
}

// TestSystemServices reads this machine's services database, when there
// is one, the way SystemNames does.
func TestSystemServices(t *testing.T) {
	if _, err := os.Stat(ServicesPath); err != nil {
		t.Skipf("no %s: %v", ServicesPath, err)
	}
	n := SystemNames()
	if p, ok := n.Port("http", "tcp"); !ok || p != 80 {
		t.Errorf("http/tcp = %d %v", p, ok)
	}
	if name := n.PortName(80, "tcp"); name != "http" {
		t.Errorf("80/tcp = %q", name)
	}
}
