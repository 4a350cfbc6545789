package main

import (
	"strings"
	"testing"
)

// TestOpsFlags checks the rules and metrics flags as a user types them.
func TestOpsFlags(t *testing.T) {
	o, err := parseFlags([]string{"-i", "eth0", "--rules", "/etc/xlvs/rules", "--save-rules", "--metrics-addr", "[::1]:9100"})
	if err != nil {
		t.Fatal(err)
	}
	if o.rulesFile != "/etc/xlvs/rules" || !o.saveRules || o.metricsAddr != "[::1]:9100" {
		t.Errorf("parsed %+v", o)
	}
	if o, err := parseFlags([]string{"-i", "eth0"}); err != nil || o.rulesFile != "" || o.saveRules || o.metricsAddr != "" {
		t.Errorf("defaults: %+v %v (want no rules file, no saving, no metrics listener)", o, err)
	}
	// Rules read at start (services outside keepalived.conf) are fine.
	if o, err := parseFlags([]string{"-i", "eth0", "--keepalived-conf", "/etc/xlvs/keepalived.conf", "--rules", "/etc/xlvs/rules"}); err != nil ||
		o.keepalived != "/etc/xlvs/keepalived.conf" || o.rulesFile != "/etc/xlvs/rules" || o.saveRules {
		t.Errorf("--keepalived-conf with --rules: %+v %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-i", "eth0", "--save-rules"}, "--save-rules needs --rules FILE"},
		{[]string{"-i", "eth0", "--metrics-addr", "9100"}, `invalid --metrics-addr "9100"`},
		// keepalived.conf is the configuration, and the table holds
		// health decisions: saving it would make them configuration.
		{[]string{"-i", "eth0", "--keepalived-conf", "/etc/xlvs/keepalived.conf", "--rules", "/etc/xlvs/rules", "--save-rules"},
			"--save-rules and --keepalived-conf exclude each other"},
	} {
		if _, err := parseFlags(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}
