//go:build linux

package cli

import (
	"encoding/json"
	"testing"

	"github.com/xlvs/xlvs/internal/netlab"
	"github.com/xlvs/xlvs/perf/pktgen"
)

// TestSendJSON runs `xlvs-pktgen send --count N --json` in a namespace
// whose eth0 leads to a sink: the summary reports N frames sent and the
// sink on the other end counted exactly N.
func TestSendJSON(t *testing.T) {
	lab := netlab.NewT(t, "pgcli")
	gen, err := lab.AddNS("gen")
	if err != nil {
		t.Fatal(err)
	}
	sink, err := lab.AddNS("sink")
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Veth(gen, "eth0", sink, "eth0", netlab.LinkOptions{Queues: 1}); err != nil {
		t.Fatal(err)
	}
	if err := gen.AddAddr("eth0", "198.18.1.2/24"); err != nil {
		t.Fatal(err)
	}
	dst, err := sink.MAC("eth0")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := sink.LinkIndex("eth0")
	if err != nil {
		t.Fatal(err)
	}
	var s *pktgen.Sink
	if err := sink.Do(func() (err error) { s, err = pktgen.NewSink(idx, pktgen.SinkOptions{}); return err }); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 5000
	var code int
	var stdout, stderr string
	if err := gen.Do(func() error {
		code, stdout, stderr = run("send", "--dev", "eth0", "--dst", "198.18.1.1", "--dst-mac", dst.String(), "--src", "198.18.1.2",
			"--sport", "1024-1123", "--flows", "100", "--count", "5000", "--rate", "100k", "--size", "128", "--json")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Mode      string `json:"mode"`
		Sent      uint64 `json:"sent"`
		Flows     uint32 `json:"flows"`
		FrameSize int    `json:"frame_size"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	if r.Sent != n || r.Flows != 100 || r.FrameSize != 128 || r.Mode != "live" {
		t.Errorf("summary %+v, want %d frames of 128 bytes, 100 flows, live mode", r, n)
	}
	got, err := s.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got.Packets != n || got.Bytes != n*124 {
		t.Errorf("sink counted %d frames, %d bytes; want %d frames of 124 bytes (128 with the FCS)", got.Packets, got.Bytes, n)
	}
}
