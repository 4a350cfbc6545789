package model_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/ctrl/model"
	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/internal/fakedp"
)

// TestSCTPServices: SCTP services are validated as TCP and UDP ones are
// (a port unless persistent, a unicast address), compiled with protocol
// 132 and listed by ipvsadm as SCTP; their connections list with IPVS's
// SCTP state names.
func TestSCTPServices(t *testing.T) {
	h := &harness{t: t, nh: newFakeNextHops(), st: fakedp.New()}
	h.m = model.New(model.Config{Stats: h.st, NextHops: h.nh, Publish: h.publish, Conns: h.st, ConnTabSize: 4096})
	for _, c := range []struct {
		args   string
		rc     int
		stderr string
	}{
		{"-A --sctp-service 198.18.0.3:3868 -s rr", 0, ""},
		{"-a --sctp-service 198.18.0.3:3868 -r 198.18.1.1:13868 -m", 0, ""},
		{"-a --sctp-service 198.18.0.3:3868 -r 198.18.1.2 -g -w 2", 0, ""},
		{"-A --sctp-service [2001:db8::3]:2905 -s wlc", 0, ""},
		{"-A --sctp-service 198.18.0.3:3868", 255, "Service already exists"},
		{"-A --sctp-service 198.18.0.4", 2, "Zero port specified for non-persistent service"},
		{"-A --sctp-service 198.18.0.4 -p", 0, ""},
		{"-A --sctp-service 224.0.0.1:3868", 255, msgInvalid},
	} {
		r := ipvsadmRun(h, "", strings.Fields(c.args)...)
		if r.rc != c.rc || r.stdout != "" || (c.stderr == "" && r.stderr != "") || (c.stderr != "" && r.stderr != c.stderr+"\n") {
			t.Errorf("ipvsadm %s: %+v, want rc %d stderr %q", c.args, r, c.rc, c.stderr)
		}
	}
	k := api.ServiceKey{Protocol: api.ProtoSCTP, Addr: netip.MustParseAddr("198.18.0.3"), Port: 3868}
	svc := snapService(t, h.last(), k)
	if svc.Proto != 132 || len(svc.Dests) != 2 {
		t.Errorf("snapshot service: protocol %d, %d real servers; want 132 and 2", svc.Proto, len(svc.Dests))
	}
	want := `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
SCTP 198.18.0.3:3868 rr
  -> 198.18.1.1:13868             Masq    1      0          0         
  -> 198.18.1.2:3868              Route   2      0          0         
SCTP 198.18.0.4:0 wlc persistent 360
SCTP [2001:db8::3]:2905 wlc
`
	if r := ipvsadmRun(h, "", "-L", "-n"); r.stdout != want {
		t.Errorf("ipvsadm -L -n:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r := ipvsadmRun(h, "", "-S", "-n"); !strings.Contains(r.stdout, "-A --sctp-service 198.18.0.3:3868 -s rr\n-a --sctp-service 198.18.0.3:3868 -r 198.18.1.1:13868 -m -w 1\n") {
		t.Errorf("ipvsadm -S -n:\n%s", r.stdout)
	}

	d1 := destSlot(t, h.last(), k, "198.18.1.1", 13868)
	cl, vip := netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.18.0.3")
	h.st.SetConns([]engine.ConnInfo{
		{Proto: 132, Client: cl, CPort: 5000, Virtual: vip, VPort: 3868, Dest: d1, Service: svc.ID, State: conntrack.StateSCTPCookieSent, Expires: 60*time.Second + 500*time.Millisecond},
		{Proto: 132, Client: cl, CPort: 5001, Virtual: vip, VPort: 3868, Dest: d1, Service: svc.ID, State: conntrack.StateSCTPEstablished, Expires: 899 * time.Second},
		{Proto: 132, Client: cl, CPort: 5002, Virtual: vip, VPort: 3868, Dest: d1, Service: svc.ID, State: conntrack.StateSCTPShutdownAckSent, Expires: 3 * time.Second},
	})
	wantConns := `IPVS connection entries
pro expire state       source             virtual            destination
SCTP 01:00  C-SENT      198.19.0.1:5000    198.18.0.3:3868    198.18.1.1:13868
SCTP 14:59  ESTABLISHED 198.19.0.1:5001    198.18.0.3:3868    198.18.1.1:13868
SCTP 00:03  S-ACK-SENT  198.19.0.1:5002    198.18.0.3:3868    198.18.1.1:13868
`
	if r := ipvsadmRun(h, "", "-L", "-c", "-n"); r.stdout != wantConns {
		t.Errorf("ipvsadm -L -c -n:\n%q\nwant:\n%q", r.stdout, wantConns)
	}
}
