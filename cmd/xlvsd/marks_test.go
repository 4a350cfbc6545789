package main

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMark(t *testing.T) {
	cases := []struct {
		in   string
		want []string // api.MarkRule.String of each rule
		err  string
	}{
		{"tcp 198.18.0.100/32 80,443 1", []string{"tcp 198.18.0.100/32 80 1", "tcp 198.18.0.100/32 443 1"}, ""},
		{"udp 198.18.0.7/24 10000-10999 2", []string{"udp 198.18.0.0/24 10000-10999 2"}, ""},
		{"ALL 2001:db8::1 1-65535 4294967295", []string{"all 2001:db8::1/128 1-65535 4294967295"}, ""},
		{"sctp ::ffff:198.18.0.1 9 3", []string{"sctp 198.18.0.1/32 9 3"}, ""},
		{"tcp 198.18.0.1 80", nil, "want 'PROTO PREFIX PORTS MARK'"},
		{"icmp 198.18.0.1 80 1", nil, "is not tcp, udp, sctp or all"},
		{"tcp 198.18.0.1/33 80 1", nil, "prefix"},
		{"tcp 198.18.0.1 0 1", nil, "want a port"},
		{"tcp 198.18.0.1 90-80 1", nil, "want a port"},
		{"tcp 198.18.0.1 80,x 1", nil, "want a port"},
		{"tcp 198.18.0.1 80 0", nil, "is not 1..4294967295"},
		{"tcp 198.18.0.1 80 4294967296", nil, "is not 1..4294967295"},
	}
	for _, c := range cases {
		rules, err := parseMark(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var got []string
		for _, r := range rules {
			got = append(got, r.String())
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: rules %q, want %q", c.in, got, c.want)
		}
	}
	if _, err := parseMark("tcp 1.2.3.4"); !errors.Is(err, errMarkSyntax) {
		t.Errorf("short rule: %v does not wrap errMarkSyntax", err)
	}
	o, err := parseFlags([]string{"--interface", "eth0", "--mark", "tcp 198.18.0.100 80,443 1", "--mark", "udp 198.18.0.100 53 2", "--no-pin"})
	if err != nil || len(o.marks) != 3 || o.marks[2].Mark != 2 {
		t.Errorf("parseFlags: %v, %+v", err, o)
	}
	if _, err := parseFlags([]string{"--interface", "eth0", "--mark", "bogus"}); err == nil {
		t.Errorf("parseFlags accepted --mark bogus")
	}
}
