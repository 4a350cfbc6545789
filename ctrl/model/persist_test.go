package model_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
	"github.com/xlvs/xlvs/dataplane/engine"
	"github.com/xlvs/xlvs/dataplane/snapshot"
)

// fwmarkService finds the firewall-mark service of mark and family in s.
func fwmarkService(t *testing.T, s *snapshot.Snapshot, mark uint32, family uint8) *snapshot.Service {
	t.Helper()
	for i := range s.Services {
		if svc := &s.Services[i]; svc.FWMark == mark && svc.Family == family {
			return svc
		}
	}
	t.Fatalf("snapshot %d has no fwmark %d service of family %d", s.Gen, mark, family)
	return nil
}

// Persistence, -M and -o as ipvsadm sends them reach the listing, -S and
// the snapshot the workers run on.
func TestPersistentServicesThroughIpvsadm(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{
		"-A -t 198.18.0.1:0 -s rr -p",
		"-A -t 198.18.0.1:443 -s wlc -p 600 -M 255.255.255.0",
		"-A -u 198.18.0.2:53 -s rr -o",
		"-A -u [2001:db8::1]:53 -s rr -p 30 -M 64",
		"-A -f 1 -s rr -p 900",
		"-A -f 1 -6 -s rr",
		"-a -f 1 -r 198.18.1.1 -w 2",
	} {
		if r := ipvsadmRun(h, "", strings.Fields(line)...); r != (result{}) {
			t.Fatalf("ipvsadm %s: %+v", line, r)
		}
	}
	want := "-A -t 198.18.0.1:0 -s rr -p 360\n" +
		"-A -t 198.18.0.1:443 -s wlc -p 600 -M 255.255.255.0\n" +
		"-A -u 198.18.0.2:53 -s rr -o\n" +
		"-A -u [2001:db8::1]:53 -s rr -p 30 -M 64\n" +
		"-A -f 1 -s rr -p 900\n" +
		"-a -f 1 -r 198.18.1.1:0 -g -w 2\n" +
		"-A -f 1 -6 -s rr\n"
	if r := ipvsadmRun(h, "", "-S", "-n"); r.stdout != want {
		t.Errorf("-S -n:\n%s\nwant:\n%s", r.stdout, want)
	}
	s := h.last()
	if svc := snapService(t, s, tcp("198.18.0.1", 0)); svc.Flags != snapshot.SvcPersistent || svc.PersistTimeout != 360 || svc.Netmask != 0xffffffff {
		t.Errorf("port-0 service in the snapshot: flags %#x timeout %d mask %#x", svc.Flags, svc.PersistTimeout, svc.Netmask)
	}
	if svc := snapService(t, s, tcp("198.18.0.1", 443)); svc.PersistTimeout != 600 || svc.Netmask != 0xffffff00 {
		t.Errorf("443 in the snapshot: timeout %d mask %#x", svc.PersistTimeout, svc.Netmask)
	}
	if svc := snapService(t, s, udp("198.18.0.2", 53)); svc.Flags != snapshot.SvcOnePacket {
		t.Errorf("-o service flags %#x", svc.Flags)
	}
	if svc := snapService(t, s, udp("2001:db8::1", 53)); svc.Netmask != 64 {
		t.Errorf("IPv6 prefix %d, want 64", svc.Netmask)
	}
	fw := fwmarkService(t, s, 1, 4)
	if fw.Proto != 0 || fw.Addr != ([16]byte{}) || fw.Port != 0 || fw.PersistTimeout != 900 || len(fw.Dests) != 1 {
		t.Errorf("fwmark service in the snapshot: %+v", fw)
	}
	if fw6 := fwmarkService(t, s, 1, 6); fw6.Flags != 0 || fw6.Netmask != 128 {
		t.Errorf("IPv6 fwmark service: flags %#x netmask %d", fw6.Flags, fw6.Netmask)
	}
	if r := ipvsadmRun(h, "", "-A", "-f", "1", "-s", "wlc"); r.rc != 255 || r.stderr != "Service already exists\n" {
		t.Errorf("second -f 1: %+v", r)
	}
	if r := ipvsadmRun(h, "", "-E", "-f", "1", "-s", "wlc"); r != (result{}) {
		t.Errorf("-E -f 1: %+v", r)
	}
	if fw := fwmarkService(t, h.last(), 1, 4); fw.Flags != 0 || fw.Sched != "wlc" {
		t.Errorf("-E must drop persistence and set wlc: %+v", fw)
	}
}

// The mark rules: add, list in order, refuse duplicates and bad rules,
// delete; the snapshot carries them in rule order.
func TestMarkRules(t *testing.T) {
	h := newHarness(t)
	r1 := api.MarkRule{Mark: 1, Protocol: api.ProtoTCP, Prefix: netip.MustParsePrefix("198.18.0.100/32"), PortFrom: 80, PortTo: 80}
	r2 := api.MarkRule{Mark: 1, Protocol: api.ProtoTCP, Prefix: netip.MustParsePrefix("::ffff:198.18.0.100/128"), PortFrom: 443, PortTo: 443}
	r3 := api.MarkRule{Mark: 7, Prefix: netip.MustParsePrefix("fd00:18::7/64"), PortFrom: 10000, PortTo: 10099}
	for _, r := range []api.MarkRule{r1, r2, r3} {
		h.ok(&api.Request{Op: api.OpAddMarkRule, MarkRule: &r})
	}
	got := h.ok(&api.Request{Op: api.OpListMarkRules}).MarkRules
	want := []string{"tcp 198.18.0.100/32 80 1", "tcp 198.18.0.100/32 443 1", "all fd00:18::/64 10000-10099 7"}
	if len(got) != len(want) {
		t.Fatalf("listed %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("rule %d listed as %q, want %q", i, got[i], want[i])
		}
	}
	s := h.last()
	if len(s.Marks) != 3 || s.Marks[0].Bits != 128 || s.Marks[0].Family != 4 || s.Marks[2].Bits != 64 || s.Marks[2].Family != 6 {
		t.Errorf("snapshot rules %+v", s.Marks)
	}
	dup := r1
	h.refused(&api.Request{Op: api.OpAddMarkRule, MarkRule: &dup}, api.CodeExists, "Mark rule already exists")
	for name, bad := range map[string]api.MarkRule{
		"mark 0":         {Prefix: r1.Prefix, PortFrom: 1, PortTo: 1},
		"ports reversed": {Mark: 1, Prefix: r1.Prefix, PortFrom: 2, PortTo: 1},
		"no prefix":      {Mark: 1, PortFrom: 1, PortTo: 1},
		"protocol ICMP":  {Mark: 1, Protocol: 1, Prefix: r1.Prefix, PortFrom: 1, PortTo: 1},
	} {
		t.Run(name, func(t *testing.T) {
			h.t = t
			h.refused(&api.Request{Op: api.OpAddMarkRule, MarkRule: &bad}, api.CodeInvalid, msgInvalid)
		})
	}
	h.t = t
	h.ok(&api.Request{Op: api.OpDelMarkRule, MarkRule: &r1})
	h.refused(&api.Request{Op: api.OpDelMarkRule, MarkRule: &r1}, api.CodeNotFound, "No such mark rule")
	if n := len(h.last().Marks); n != 2 {
		t.Errorf("%d rules in the snapshot after a delete, want 2", n)
	}
}

// last_weight follows the kernel: quiescing keeps the last non-zero
// weight, for mh.
func TestLastWeight(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(svcReq(api.OpAddService, k, "mh"))
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 5)))
	slot := destSlot(t, h.last(), k, "198.18.1.1", 80)
	h.ok(destReq(api.OpEditDest, k, dr("198.18.1.1", 80, 0)))
	if d := h.last().Dests[slot]; d.Weight != 0 || d.LastWeight != 5 {
		t.Errorf("quiesced: weight %d last weight %d, want 0 and 5", d.Weight, d.LastWeight)
	}
	h.ok(destReq(api.OpEditDest, k, dr("198.18.1.1", 80, 3)))
	if d := h.last().Dests[slot]; d.LastWeight != 3 {
		t.Errorf("re-weighted: last weight %d, want 3", d.LastWeight)
	}
}

// A deleted real server that only templates refer to keeps its slot until
// they expire: a reused slot would make them point at another server.
func TestDeletedDestKeptForTemplates(t *testing.T) {
	h := newHarness(t)
	k := tcp("198.18.0.1", 80)
	h.ok(&api.Request{Op: api.OpAddService, Service: &api.Service{Key: k, Scheduler: "rr", Flags: api.SvcPersistent}})
	h.ok(destReq(api.OpAddDest, k, dr("198.18.1.1", 80, 1)))
	slot := destSlot(t, h.last(), k, "198.18.1.1", 80)
	h.st.SetDest(slot, engine.DestStats{PersistConns: 1})
	if l := h.list(); l[0].Dests[0].PersistConns != 1 || l[0].Timeout != 360 {
		t.Errorf("listing: %+v", l[0])
	}
	h.ok(destReq(api.OpDelDest, k, dr("198.18.1.1", 80, 0)))
	if d, ok := inSnapshot(h.last(), slot); !ok || d.Available {
		t.Fatalf("deleted server with templates: in snapshot %v, %+v", ok, d)
	}
	h.st.SetDest(slot, engine.DestStats{})
	h.m.Refresh()
	if _, ok := inSnapshot(h.last(), slot); ok {
		t.Errorf("slot not reclaimed once its templates expired")
	}
}
