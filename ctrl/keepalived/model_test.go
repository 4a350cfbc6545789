package keepalived

import (
	"bytes"
	"os"
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
	for _, tc := range []struct{ file, timeouts string }{
		{"testdata/dr.conf", "Timeout (tcp tcpfin udp): 7200 60 120\n"},
		{"testdata/nat.conf", "Timeout (tcp tcpfin udp): 900 120 300\n"}, // no lvs_timeouts: IPVS's defaults
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(tc.file + ".save") // ipvsadm -S -n of the file, shared with xlvsd's e2e test
			if err != nil {
				t.Fatal(err)
			}
			m := applyToModel(t, cfg)
			if got := saved(t, m); got != string(want) {
				t.Errorf("ipvsadm -S -n after loading %s:\n%s\nwant:\n%s", tc.file, got, want)
			}
			if got := timeouts(t, m); got != tc.timeouts {
				t.Errorf("ipvsadm -L --timeout: %q, want %q", got, tc.timeouts)
			}
		})
	}
}
