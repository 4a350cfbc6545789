package keepalived

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/health"
)

// write puts files (name → text) in a fresh directory and returns the
// path of the first name given.
func write(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, files[0])
}

func load(t *testing.T, files ...string) *Config {
	t.Helper()
	cfg, err := Load(write(t, files...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// reqLines renders requests as an operator reads them.
func reqLines(reqs []*api.Request) []string {
	var out []string
	for _, q := range reqs {
		s := string(q.Op)
		if q.Service != nil {
			k := q.Service.Key
			if k.FWMark != 0 {
				s += fmt.Sprintf(" fwmark %d %s", k.FWMark, k.Addr)
			} else {
				s += fmt.Sprintf(" %d %s", k.Protocol, netip.AddrPortFrom(k.Addr, k.Port))
			}
			if q.Op == api.OpAddService {
				s += fmt.Sprintf(" sched=%s flags=%#x timeout=%d netmask=%#x", q.Service.Scheduler, q.Service.Flags, q.Service.Timeout, q.Service.Netmask)
			}
		}
		if q.Dest != nil {
			d := q.Dest
			s += fmt.Sprintf(" -> %s method=%d w=%d x=%d y=%d tun=%d/%d/%d", netip.AddrPortFrom(d.Addr, d.Port), d.Method, d.Weight, d.UThreshold, d.LThreshold, d.TunType, d.TunPort, d.TunFlags)
		}
		if q.Timeouts != nil {
			s += fmt.Sprintf(" %d %d %d", q.Timeouts.TCP, q.Timeouts.TCPFin, q.Timeouts.UDP)
		}
		out = append(out, s)
	}
	return out
}

func warnings(cfg *Config) []string {
	var out []string
	for _, w := range cfg.Warnings {
		out = append(out, filepath.Base(w.Pos.File)+fmt.Sprintf(":%d: ", w.Pos.Line)+w.Msg)
	}
	return out
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestDRSampleWithIncludes loads testdata/dr.conf: a DR service with
// TCP_CHECK and HTTP_GET, global lvs_timeouts, a vrrp_instance skipped
// with a warning, and two files included through a glob.
func TestDRSampleWithIncludes(t *testing.T) {
	cfg, err := Load("testdata/dr.conf")
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, "requests", reqLines(cfg.Requests()), []string{
		"set-timeouts 7200 60 120",
		"add-service 6 198.18.0.100:80 sched=wrr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.100:80 -> 198.18.0.11:80 method=3 w=3 x=0 y=0 tun=0/0/0",
		"add-dest 6 198.18.0.100:80 -> 198.18.0.12:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 17 198.18.0.100:53 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 17 198.18.0.100:53 -> 198.18.0.11:53 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 [fd00:18::100]:80 sched=sed flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 [fd00:18::100]:80 -> [fd00:18::11]:80 method=3 w=1 x=0 y=0 tun=0/0/0",
	})
	checkLines(t, "warnings", warnings(cfg), []string{
		"dr.conf:3: global_defs: router_id does not concern xlvs, ignored",
		"dr.conf:7: vrrp_instance is not supported by xlvs, skipped",
	})
	web := cfg.Services[0]
	if web.Sorry == nil || web.Sorry.Addr != netip.MustParseAddr("198.18.0.200") || web.Sorry.Port != 8080 || web.Sorry.Method != api.MethodRoute || web.Sorry.Weight != 1 {
		t.Errorf("sorry server %+v", web.Sorry)
	}
	if web.Quorum != 1 || web.Hysteresis != 0 {
		t.Errorf("quorum %d hysteresis %d, want keepalived's 1 and 0", web.Quorum, web.Hysteresis)
	}
	tcp := web.Reals[0].Checks[0]
	wantTCP := health.DefaultCheck(health.TCPCheck)
	wantTCP.DelayLoop, wantTCP.ConnectTimeout, wantTCP.Retry, wantTCP.DelayBeforeRetry = 2*time.Second, 2*time.Second, 2, 500*time.Millisecond
	if !equalCheck(tcp, wantTCP) {
		t.Errorf("TCP_CHECK\n got %+v\nwant %+v", tcp, wantTCP)
	}
	if web.Reals[0].Inhibit || !web.Reals[1].Inhibit {
		t.Errorf("inhibit_on_failure: %v %v", web.Reals[0].Inhibit, web.Reals[1].Inhibit)
	}
	http := web.Reals[1].Checks[0]
	wantHTTP := health.DefaultCheck(health.HTTPGet)
	wantHTTP.DelayLoop, wantHTTP.VirtualHost, wantHTTP.ConnectPort = 2*time.Second, "www.example.test", 8081
	wantHTTP.URLs = []health.URL{{Path: "/health", Digest: "7b5b940796a608f04ab2eb479d642710", Status: []health.StatusRange{{Lo: 200, Hi: 299}, {Lo: 503, Hi: 503}}}}
	if !equalCheck(http, wantHTTP) {
		t.Errorf("HTTP_GET\n got %+v\nwant %+v", http, wantHTTP)
	}
	misc := cfg.Services[1].Reals[0].Checks[0]
	if misc.Type != health.MiscCheck || !slices.Equal(misc.MiscPath, []string{"check_dns", "198.18.0.11"}) ||
		misc.MiscTimeout != 3*time.Second || !misc.MiscDynamic || misc.Retry != 0 || misc.DelayLoop != time.Second {
		t.Errorf("MISC_CHECK %+v", misc)
	}
	ping := cfg.Services[2].Reals[0].Checks[0]
	if ping.Type != health.PingCheck || ping.ConnectTimeout != time.Second || ping.Retry != 1 {
		t.Errorf("PING_CHECK %+v", ping)
	}
}

func equalCheck(a, b health.Check) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

// TestNATSampleDefaults loads testdata/nat.conf: keepalived's surprising
// defaults (NAT, UDP, wlc, persistence 360), fwmark with TUN/GUE and
// granularity, and virtual_server_groups with ranges, a prefix and
// fwmarks of both families. TestSamplesThroughModel applies them.
func TestNATSampleDefaults(t *testing.T) {
	cfg, err := Load("testdata/nat.conf")
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, "requests", reqLines(cfg.Requests()), []string{
		"add-service 17 198.18.0.100:53 sched=wlc flags=0x1 timeout=360 netmask=0x0",
		"add-dest 17 198.18.0.100:53 -> 198.18.1.11:5353 method=0 w=1 x=0 y=0 tun=0/0/0",
		"add-dest 17 198.18.0.100:53 -> 198.18.1.12:5353 method=0 w=2 x=0 y=0 tun=0/0/0",
		"add-service 6 198.18.0.100:80 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.100:80 -> 198.18.1.11:8080 method=0 w=1 x=0 y=0 tun=0/0/0",
		"add-dest 6 198.18.0.100:80 -> 198.18.1.12:8080 method=0 w=1 x=0 y=0 tun=0/0/0",
		"add-service fwmark 7 0.0.0.0 sched=sh flags=0x11 timeout=900 netmask=0xffffff00",
		"add-dest fwmark 7 0.0.0.0 -> 198.18.1.13:0 method=2 w=1 x=0 y=0 tun=1/6080/0",
		"add-service 6 198.18.0.101:80 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.101:80 -> 198.18.1.12:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 198.18.0.102:80 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.102:80 -> 198.18.1.12:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 198.18.0.103:80 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.103:80 -> 198.18.1.12:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 198.18.0.104:443 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.104:443 -> 198.18.1.12:443 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 198.18.0.105:443 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 198.18.0.105:443 -> 198.18.1.12:443 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service fwmark 9 0.0.0.0 sched=rr flags=0x0 timeout=0 netmask=0x0",
		"add-dest fwmark 9 0.0.0.0 -> 198.18.1.12:0 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 [fd00:18::101]:80 sched=wlc flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 [fd00:18::101]:80 -> [fd00:18:1::12]:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service 6 [fd00:18::102]:80 sched=wlc flags=0x0 timeout=0 netmask=0x0",
		"add-dest 6 [fd00:18::102]:80 -> [fd00:18:1::12]:80 method=3 w=1 x=0 y=0 tun=0/0/0",
		"add-service fwmark 10 :: sched=wlc flags=0x0 timeout=0 netmask=0x0",
		"add-dest fwmark 10 :: -> [fd00:18:1::12]:0 method=3 w=1 x=0 y=0 tun=0/0/0",
	})
	checkLines(t, "warnings", warnings(cfg), []string{
		"nat.conf:4: Virtual server 198.18.0.100 53: no scheduler set, setting default 'wlc'",
		"nat.conf:4: Virtual server 198.18.0.100 53: no forwarding method set, setting default NAT",
		"nat.conf:4: Virtual server 198.18.0.100 53: no protocol set - defaulting to UDP",
		"nat.conf:19: Virtual server 198.18.0.100 80: no forwarding method set, setting default NAT",
		"nat.conf:34: virtual server fwmark 7: protocol is ignored for a fwmark service",
	})
	if ch := cfg.Services[2].Reals[0].Checks[0]; ch.ConnectPort != 8080 || ch.Type != health.TCPCheck {
		t.Errorf("fwmark TCP_CHECK %+v", ch)
	}
	if ch := cfg.Services[0].Reals[0].Checks[0]; ch.ConnectPort != 8081 || ch.DelayBeforeRetry != 3*time.Second || ch.DelayLoop != 60*time.Second || ch.ConnectTimeout != 5*time.Second || ch.Warmup != -1 {
		t.Errorf("HTTP_GET defaults %+v", ch)
	}
}

// TestKeywords covers the keywords one by one through small files.
func TestKeywords(t *testing.T) {
	vs := func(body string) string {
		return "virtual_server 198.18.0.100 80 {\n lb_kind DR\n protocol TCP\n lb_algo rr\n" + body + "\n real_server 198.18.0.11 80 { }\n}\n"
	}
	for _, tc := range []struct {
		name, conf string
		check      func(t *testing.T, cfg *Config)
	}{
		{"lvs_sched alias and flags", "virtual_server 198.18.0.100 80 {\n lvs_sched mh\n mh-port\n mh-fallback\n flag-3\n lvs_method DR\n protocol TCP\n real_server 198.18.0.11 80 { }\n}\n",
			func(t *testing.T, cfg *Config) {
				s := cfg.Services[0].Service.Service
				if s.Scheduler != "mh" || s.Flags != api.SvcSched1|api.SvcSched2|api.SvcSched3 {
					t.Errorf("%+v", s)
				}
			}},
		{"ops needs UDP", vs(" ops"), func(t *testing.T, cfg *Config) {
			if cfg.Services[0].Service.Service.Flags&api.SvcOnePacket != 0 || !hasWarning(cfg, "one packet scheduling requires UDP") {
				t.Errorf("ops kept on TCP: %+v %v", cfg.Services[0].Service.Service, warnings(cfg))
			}
		}},
		{"persistence_granularity alone sets 360", vs(" persistence_granularity 255.255.0.0"), func(t *testing.T, cfg *Config) {
			s := cfg.Services[0].Service.Service
			if s.Flags&api.SvcPersistent == 0 || s.Timeout != 360 || s.Netmask != 0xffff0000 {
				t.Errorf("%+v", s)
			}
		}},
		{"port 0 is made persistent", "virtual_server 198.18.0.100 0 {\n lb_kind DR\n protocol TCP\n lb_algo rr\n real_server 198.18.0.11 { }\n}\n",
			func(t *testing.T, cfg *Config) {
				s := cfg.Services[0].Service.Service
				if s.Timeout != 360 || !hasWarning(cfg, "zero port only valid for persistent services") {
					t.Errorf("%+v %v", s, warnings(cfg))
				}
			}},
		{"VS weight, thresholds, RS method, inhibit", vs(" weight 4\n inhibit_on_failure\n real_server 198.18.0.12 80 {\n lvs_method TUN type ipip\n uthreshold 100\n lthreshold 10\n inhibit_on_failure off\n }"),
			func(t *testing.T, cfg *Config) {
				r := cfg.Services[0].Reals
				if r[0].Dest.Weight != 4 || r[0].Dest.Method != api.MethodTunnel || r[0].Dest.UThreshold != 100 || r[0].Dest.LThreshold != 10 || r[0].Inhibit || !r[1].Inhibit {
					t.Errorf("%+v", r)
				}
			}},
		{"quorum above the weights is reduced", vs(" quorum 10\n hysteresis 2"), func(t *testing.T, cfg *Config) {
			if s := cfg.Services[0]; s.Quorum != 1 || s.Hysteresis != 2 || !hasWarning(cfg, "quorum 10 exceeds the total weight 1") {
				t.Errorf("quorum %d %v", s.Quorum, warnings(cfg))
			}
		}},
		{"inheritance VS > RS > checker", "virtual_server 198.18.0.100 80 {\n lb_kind DR\n protocol TCP\n lb_algo rr\n delay_loop 9\n retry 4\n alpha\n connect_timeout 7\n" +
			" real_server 198.18.0.11 80 {\n delay_before_retry 0.25\n warmup 0\n connect_timeout 6\n TCP_CHECK {\n connect_timeout 0.5\n connect_ip 198.18.0.50\n connect_port 8080\n bindto 198.18.0.1\n bind_port 999\n bind_if eth0\n fwmark 3\n log_all_failures\n }\n }\n}\n",
			func(t *testing.T, cfg *Config) {
				ch := cfg.Services[0].Reals[0].Checks[0]
				want := health.Check{Type: health.TCPCheck, ConnectIP: netip.MustParseAddr("198.18.0.50"), ConnectPort: 8080, BindTo: netip.MustParseAddr("198.18.0.1"), BindPort: 999, BindIf: "eth0", FWMark: 3,
					ConnectTimeout: 500 * time.Millisecond, DelayLoop: 9 * time.Second, Retry: 4, DelayBeforeRetry: 250 * time.Millisecond, Alpha: true, LogAllFailures: true}
				if !equalCheck(ch, want) {
					t.Errorf("\n got %+v\nwant %+v", ch, want)
				}
			}},
		{"SSL_GET, http_protocol, nb_get_retry, url virtualhost", vs(" real_server 198.18.0.12 80 {\n SSL_GET {\n http_protocol 1.1\n nb_get_retry 5\n url {\n path /a\n virtualhost a.test\n }\n url {\n path /b\n status_code 204\n }\n }\n }"),
			func(t *testing.T, cfg *Config) {
				ch := cfg.Services[0].Reals[0].Checks[0]
				if ch.Type != health.SSLGet || ch.HTTPProtocol != "1.1" || ch.Retry != 5 || len(ch.URLs) != 2 || ch.URLs[0].VirtualHost != "a.test" || ch.URLs[1].Status[0] != (health.StatusRange{Lo: 204, Hi: 204}) {
					t.Errorf("%+v", ch)
				}
				if !hasWarning(cfg, "nb_get_retry is deprecated") {
					t.Errorf("warnings %v", warnings(cfg))
				}
			}},
		{"quoted misc_path with arguments", vs(` real_server 198.18.0.12 80 { MISC_CHECK { misc_path "/bin/check \"x y\"" } }`),
			func(t *testing.T, cfg *Config) {
				if p := cfg.Services[0].Reals[0].Checks[0].MiscPath; !slices.Equal(p, []string{"/bin/check", `"x`, `y"`}) {
					t.Errorf("%q", p)
				}
			}},
		{"unsupported checkers and keywords warn with their line", vs(" ha_suspend\n real_server 198.18.0.12 80 {\n SMTP_CHECK {\n host { connect_ip 1.2.3.4 }\n }\n notify_up /bin/true\n }"),
			func(t *testing.T, cfg *Config) {
				checkLines(t, "warnings", warnings(cfg), []string{
					"a.conf:5: virtual_server 198.18.0.100 80: ha_suspend is not supported by xlvs, ignored",
					"a.conf:7: SMTP_CHECK is not supported by xlvs, the check is skipped",
					"a.conf:10: real_server 198.18.0.12: notify_up is not supported by xlvs, ignored",
				})
				if len(cfg.Services[0].Reals[0].Checks) != 0 {
					t.Errorf("SMTP_CHECK became a check")
				}
			}},
		{"duplicate real server and family mismatch are skipped", vs(" real_server 198.18.0.11 80 { }\n real_server fd00::1 80 { }"),
			func(t *testing.T, cfg *Config) {
				if len(cfg.Services[0].Reals) != 1 || !hasWarning(cfg, "is duplicated - removing second rs") || !hasWarning(cfg, "address family does not match") {
					t.Errorf("%+v %v", cfg.Services[0].Reals, warnings(cfg))
				}
			}},
		{"no real servers: dropped", "virtual_server 198.18.0.100 80 {\n protocol TCP\n}\n", func(t *testing.T, cfg *Config) {
			if len(cfg.Services) != 0 || !hasWarning(cfg, "has no real servers - ignoring") {
				t.Errorf("%v", warnings(cfg))
			}
		}},
		{"lvs_flush and brace on its own line", "global_defs\n{\n lvs_flush\n}\n", func(t *testing.T, cfg *Config) {
			checkLines(t, "requests", reqLines(cfg.Requests()), []string{"flush"})
		}},
		{"sorry server method and inhibit", vs(" sorry_server 198.18.0.9\n sorry_server_lvs_method NAT\n sorry_server_inhibit"), func(t *testing.T, cfg *Config) {
			s := cfg.Services[0]
			if s.Sorry.Port != 80 || s.Sorry.Method != api.MethodMasq || !s.SorryInhibit {
				t.Errorf("%+v", s.Sorry)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, load(t, "a.conf", tc.conf))
		})
	}
}

func hasWarning(cfg *Config, s string) bool {
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Msg, s) {
			return true
		}
	}
	return false
}

// TestIncludes: globs relative to the including file, nested includes,
// positions in the included file, a loop refused.
func TestIncludes(t *testing.T) {
	cfg := load(t,
		"etc/main.conf", "include sub/*.conf\ninclude other.conf\n",
		"etc/sub/b.conf", "virtual_server 198.18.0.100 81 {\n lb_kind DR\n protocol TCP\n lb_algo rr\n real_server 198.18.0.11 81 { }\n}\n",
		"etc/sub/a.conf", "virtual_server 198.18.0.100 80 {\n lb_kind DR\n protocol TCP\n lb_algo rr\n real_server 198.18.0.11 80 { }\n}\n",
		"etc/sub/c.txt", "garbage {",
		"etc/other.conf", "include deeper/x.conf\n",
		"etc/deeper/x.conf", "\n\nbogus_keyword 1\n")
	var ports []uint16
	for _, s := range cfg.Services {
		ports = append(ports, s.Service.Service.Key.Port)
	}
	if !slices.Equal(ports, []uint16{80, 81}) {
		t.Errorf("services in order %v, want 80 (a.conf) then 81 (b.conf)", ports)
	}
	checkLines(t, "warnings", warnings(cfg), []string{"x.conf:3: unknown keyword 'bogus_keyword', skipped"})
	if !strings.HasSuffix(cfg.Services[0].Pos.File, filepath.Join("etc", "sub", "a.conf")) || cfg.Services[0].Pos.Line != 1 {
		t.Errorf("position %v", cfg.Services[0].Pos)
	}

	_, err := Load(write(t, "loop.conf", "include loop.conf\n"))
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "nested too deep") {
		t.Errorf("include loop: %v", err)
	}
}

// TestErrors: every error names file:line and the reason.
func TestErrors(t *testing.T) {
	vs := func(body string) string {
		return "virtual_server 198.18.0.100 80 {\n" + body + "\n real_server 198.18.0.11 80 { }\n}\n"
	}
	for _, tc := range []struct{ conf, file, want string }{
		{"virtual_server 198.18.0.100 80 {\n", "a.conf:1", "block virtual_server is not closed"},
		{"}\n", "a.conf:1", "'}' without a matching '{'"},
		{"{\n", "a.conf:1", "'{' without a keyword"},
		{"virtual_server 198.18.0.300 80 {\n}\n", "a.conf:1", `invalid address "198.18.0.300"`},
		{"virtual_server 198.18.0.1 80000 {\n}\n", "a.conf:1", `invalid port "80000"`},
		{vs(" lb_algo bogus"), "a.conf:2", "invalid lvs_scheduler 'bogus'"},
		{vs(" lb_kind FULLNAT"), "a.conf:2", "unknown [FULLNAT] routing method"},
		{vs(" lb_kind TUN type gue"), "a.conf:2", "gue tunnels require port"},
		{vs(" lb_kind TUN type ipip csum"), "a.conf:2", "ipip tunnels cannot take csum"},
		{vs(" protocol ICMP"), "a.conf:2", `unknown protocol "ICMP"`},
		{vs(" persistence_timeout 0"), "a.conf:2", "1..2678400"},
		{vs(" persistence_granularity 255.0.255.0"), "a.conf:2", "needs a netmask"},
		{vs(" delay_loop soon"), "a.conf:2", `invalid time "soon"`},
		{vs(" weight 0"), "a.conf:2", "1..2147483647"},
		{vs(" inhibit_on_failure maybe"), "a.conf:2", `invalid boolean "maybe"`},
		{vs(" real_server 198.18.0.12 80 { weight -1 }"), "a.conf:2", `invalid value "-1"`},
		{vs(" real_server 198.18.0.12 80 { HTTP_GET { } }"), "a.conf:2", "HTTP_GET needs at least one url block"},
		{vs(" real_server 198.18.0.12 80 { HTTP_GET { url { digest 1234 } } }"), "a.conf:2", "is not an MD5 sum"},
		{vs(" real_server 198.18.0.12 80 { HTTP_GET { url {\n path /\n status_code 200-100\n } } }"), "a.conf:4", `invalid code or range "200-100"`},
		{vs(" real_server 198.18.0.12 80 { MISC_CHECK { misc_timeout 3 } }"), "a.conf:2", "MISC_CHECK needs misc_path"},
		{"virtual_server group NOPE {\n}\n", "a.conf:1", "virtual_server_group NOPE is not defined"},
		{"virtual_server_group G {\n}\n", "a.conf:1", "virtual_server_group G has no entries"},
		{"virtual_server_group G {\n 10.0.0.0/8 80\n}\n", "a.conf:2", "more than 4096"},
		{"virtual_server_group G {\n 10.0.0.9-3 80\n}\n", "a.conf:2", "ends before it starts"},
		{"include missing.conf\n", "a.conf:1", "include missing.conf: no such file"},
		{"virtual_server 198.18.0.100 80 {\n misc_path \"unterminated\n}\n", "a.conf:2", "unterminated \" quote"},
		{vs("") + vs(""), "a.conf:5", "is already defined at"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Load(write(t, "a.conf", tc.conf))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load: %v, want an *Error", err)
			}
			if got := filepath.Base(e.Pos.File) + fmt.Sprintf(":%d", e.Pos.Line); got != tc.file || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("error %q at %s, want %q at %s", e.Msg, got, tc.want, tc.file)
			}
			if !strings.HasPrefix(err.Error(), e.Pos.File+":") {
				t.Errorf("message %q does not start with file:line", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
