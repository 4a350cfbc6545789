package model_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// --pe sip is accepted as IPVS accepts it (on any service; it only acts on
// persistent ones), listed, saved, compiled into the snapshot and removed
// by an -E without it; a template's Call-ID is listed with
// --persistent-conn.
func TestSIPPersistenceEngineThroughIpvsadm(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{
		"-A -u 198.18.0.3:5060 -s rr -p 60 --pe sip -o",
		"-a -u 198.18.0.3:5060 -r 198.18.1.1 -g",
		"-A -u 198.18.0.4:5060 -s rr --pe sip",
	} {
		if r := ipvsadmRun(h, "", strings.Fields(line)...); r != (result{}) {
			t.Fatalf("ipvsadm %s: %+v", line, r)
		}
	}
	want := "-A -u 198.18.0.3:5060 -s rr -p 60 --pe sip -o\n" +
		"-a -u 198.18.0.3:5060 -r 198.18.1.1:5060 -g -w 1\n" +
		"-A -u 198.18.0.4:5060 -s rr --pe sip\n"
	if r := ipvsadmRun(h, "", "-S", "-n"); r.stdout != want {
		t.Errorf("-S -n:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r := ipvsadmRun(h, "", "-L", "-n", "-u", "198.18.0.3:5060"); !strings.Contains(r.stdout, "UDP  198.18.0.3:5060 rr persistent 60 pe sip ops\n") {
		t.Errorf("-L -n:\n%s", r.stdout)
	}
	if svc := snapService(t, h.last(), udp("198.18.0.3", 5060)); svc.PE != snapshot.PESIP {
		t.Errorf("snapshot PE %d, want PESIP", svc.PE)
	}
	if r := ipvsadmRun(h, "", "-A", "-u", "198.18.0.5:5060", "-p", "--pe", "h323"); r.stderr != "Scheduler or persistence engine not found\n" || r.rc != 255 {
		t.Errorf("unknown engine: %+v", r)
	}

	svc, err := h.st.ServiceSlot(udp("198.18.0.3", 5060))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := h.st.DestSlot(udp("198.18.0.3", 5060), netip.MustParseAddrPort("198.18.1.1:5060"))
	if err != nil {
		t.Fatal(err)
	}
	h.st.SetConns([]engine.ConnInfo{{Proto: 17, Client: netip.MustParseAddr("198.19.0.1"), Virtual: netip.MustParseAddr("198.18.0.3"),
		VPort: 5060, Dest: dst, Service: svc, Flags: conntrack.FlagTemplate, Expires: 59*time.Second + time.Millisecond,
		PEName: "sip", PEData: "a84b4c76e66710@pc33.example.com"}})
	wantConns := "IPVS connection entries\n" +
		"pro expire state       source             virtual            destination        pe name          pe_data\n" +
		"UDP 00:59  NONE        198.19.0.1:0       198.18.0.3:5060    198.18.1.1:5060  sip                a84b4c76e66710@pc33.example.com\n"
	if r := ipvsadmRun(h, "", "-L", "-n", "-c", "--persistent-conn"); r.stdout != wantConns {
		t.Errorf("-L -n -c --persistent-conn:\n%q\nwant:\n%q", r.stdout, wantConns)
	}

	if r := ipvsadmRun(h, "", "-E", "-u", "198.18.0.3:5060", "-s", "rr", "-p", "60"); r != (result{}) {
		t.Fatalf("-E: %+v", r)
	}
	if svc := snapService(t, h.last(), udp("198.18.0.3", 5060)); svc.PE != snapshot.PENone {
		t.Errorf("after -E without --pe: snapshot PE %d, want none", svc.PE)
	}
}
