package keepalived

import (
	"bytes"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/model"
)

// applyToModel sends cfg's requests (what xlvsd asks when every real
// server starts healthy) to a fresh model, failing on any refusal, and
// returns the model.
func applyToModel(t *testing.T, cfg *Config) *model.Model {
	t.Helper()
	m := model.New(model.Config{})
	for _, req := range cfg.Requests() {
		if resp := m.Do(req); resp.Err != nil {
			t.Errorf("the model refuses %v: %v", reqLines([]*api.Request{req}), resp.Err)
		}
	}
	return m
}

// saved is the model's table as `ipvsadm -S -n` prints it.
func saved(t *testing.T, m *model.Model) string {
	t.Helper()
	var b bytes.Buffer
	if err := ipvsadm.Save(&b, m.Do(&api.Request{Op: api.OpListService}).Services, true, nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// timeouts is the model's timeouts as `ipvsadm -L --timeout` prints them.
func timeouts(t *testing.T, m *model.Model) string {
	t.Helper()
	resp := m.Do(&api.Request{Op: api.OpGetTimeouts})
	if resp.Err != nil || resp.Timeouts == nil {
		t.Fatalf("get-timeouts: %+v", resp)
	}
	var b bytes.Buffer
	if err := ipvsadm.ListTimeouts(&b, *resp.Timeouts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSamplesThroughModel applies the sample configurations to the real
// model: keepalived's defaults (NAT, UDP, wlc, a bare persistence_timeout),
// persistence_granularity, fwmark services of both families, TUN with GUE
// and lvs_timeouts are all accepted, and the table reads as ipvsadm would
// print it.
func TestSamplesThroughModel(t *testing.T) {
	for _, tc := range []struct{ file, save, timeouts string }{
		{"testdata/dr.conf", `-A -t 198.18.0.100:80 -s wrr
-a -t 198.18.0.100:80 -r 198.18.0.11:80 -g -w 3
-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 1
-A -u 198.18.0.100:53 -s rr
-a -u 198.18.0.100:53 -r 198.18.0.11:53 -g -w 1
-A -t [fd00:18::100]:80 -s sed
-a -t [fd00:18::100]:80 -r [fd00:18::11]:80 -g -w 1
`, "Timeout (tcp tcpfin udp): 7200 60 120\n"},
		{"testdata/nat.conf", `-A -t 198.18.0.100:80 -s rr
-a -t 198.18.0.100:80 -r 198.18.1.11:8080 -m -w 1
-a -t 198.18.0.100:80 -r 198.18.1.12:8080 -m -w 1
-A -t 198.18.0.101:80 -s rr
-a -t 198.18.0.101:80 -r 198.18.1.12:80 -g -w 1
-A -t 198.18.0.102:80 -s rr
-a -t 198.18.0.102:80 -r 198.18.1.12:80 -g -w 1
-A -t 198.18.0.103:80 -s rr
-a -t 198.18.0.103:80 -r 198.18.1.12:80 -g -w 1
-A -t 198.18.0.104:443 -s rr
-a -t 198.18.0.104:443 -r 198.18.1.12:443 -g -w 1
-A -t 198.18.0.105:443 -s rr
-a -t 198.18.0.105:443 -r 198.18.1.12:443 -g -w 1
-A -u 198.18.0.100:53 -s wlc -p 360
-a -u 198.18.0.100:53 -r 198.18.1.11:5353 -m -w 1
-a -u 198.18.0.100:53 -r 198.18.1.12:5353 -m -w 2
-A -t [fd00:18::101]:80 -s wlc
-a -t [fd00:18::101]:80 -r [fd00:18:1::12]:80 -g -w 1
-A -t [fd00:18::102]:80 -s wlc
-a -t [fd00:18::102]:80 -r [fd00:18:1::12]:80 -g -w 1
-A -f 7 -s sh -p 900 -M 255.255.255.0 -b sh-port
-a -f 7 -r 198.18.1.13:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-A -f 9 -s rr
-a -f 9 -r 198.18.1.12:0 -g -w 1
-A -f 10 -6 -s wlc
-a -f 10 -6 -r [fd00:18:1::12]:0 -g -w 1
`, "Timeout (tcp tcpfin udp): 900 120 300\n"}, // no lvs_timeouts: IPVS's defaults
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			m := applyToModel(t, cfg)
			if got := saved(t, m); got != tc.save {
				t.Errorf("ipvsadm -S -n after loading %s:\n%s\nwant:\n%s", tc.file, got, tc.save)
			}
			if got := timeouts(t, m); got != tc.timeouts {
				t.Errorf("ipvsadm -L --timeout: %q, want %q", got, tc.timeouts)
			}
		})
	}
}
