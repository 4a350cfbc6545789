package ipvsadm

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/xlvs/xlvs/ctrl/api"
)

func TestLargenum(t *testing.T) {
	tests := []struct {
		v     uint64
		f     Format
		want  string
		exact string
	}{
		{0, 0, "        0", "        0"},
		{99999999, 0, " 99999999", " 99999999"},
		{100000000, 0, "  100000K", " 100000000"},
		{999999999, 0, "  999999K", " 999999999"},
		{1000000000, 0, "    1000M", " 1000000000"},
		{99999999999, 0, "   99999M", " 99999999999"},
		{100000000000, 0, "     100G", " 100000000000"},
		{99999999999999, 0, "   99999G", " 99999999999999"},
		{100000000000000, 0, "     100T", " 100000000000000"},
		{18446744073709551615, 0, "18446744T", " 18446744073709551615"},
	}
	for _, tt := range tests {
		if got := largenum(tt.v, 0); got != tt.want {
			t.Errorf("largenum(%d) = %q, want %q", tt.v, got, tt.want)
		}
		if got := largenum(tt.v, FmtExact); got != tt.exact {
			t.Errorf("largenum(%d, exact) = %q, want %q", tt.v, got, tt.exact)
		}
	}
}

func TestNtop6(t *testing.T) {
	for in, want := range map[string]string{
		"::":                                     "::",
		"::1":                                    "::1",
		"2001:db8::1":                            "2001:db8::1",
		"2001:db8:0:0:1:0:0:1":                   "2001:db8::1:0:0:1",
		"2001:db8:0:1:1:1:1:1":                   "2001:db8:0:1:1:1:1:1",
		"1:0:0:2:0:0:0:3":                        "1:0:0:2::3",
		"::ffff:1.2.3.4":                         "::ffff:1.2.3.4",
		"::1.2.3.4":                              "::1.2.3.4", // Go would print ::102:304
		"fe80::":                                 "fe80::",
		"2001:db8:1234:5678:9abc:def0:1234:5678": "2001:db8:1234:5678:9abc:def0:1234:5678",
	} {
		if got := ntop6(netip.MustParseAddr(in).As16()); got != want {
			t.Errorf("ntop6(%s) = %q, want %q", in, got, want)
		}
	}
}

// longNames gives every address a long host name.
type longNames struct{ testNames }

func (longNames) HostName(a netip.Addr) string {
	return "a-very-long-host-name-for-" + strings.ReplaceAll(a.String(), ":", "-") + ".example.com"
}

// TestTruncation checks the 33/28-byte cuts of IPv4 names, the untouched
// IPv6 names, and the 59-byte limit of addrport_to_anyname.
func TestTruncation(t *testing.T) {
	names := &longNames{*loadTestNames(t)}
	svcs := []api.Service{
		{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Scheduler: "rr",
			Dests: []api.Dest{{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80, Method: api.MethodRoute, Weight: 1}}},
		{Key: api.ServiceKey{Protocol: api.ProtoTCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, Scheduler: "rr",
			Dests: []api.Dest{{Addr: netip.MustParseAddr("2001:db8::2"), Port: 443, Method: api.MethodMasq, Weight: 1}}},
	}
	var b strings.Builder
	if err := ListAll(&b, api.Info{Version: 0x010201, ConnTabSize: 4096}, svcs, 0, names); err != nil {
		t.Fatal(err)
	}
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  a-very-long-host-name-for-10 rr\n" +
		"  -> a-very-long-host-name-for-10 Route   1      0          0         \n" +
		"TCP  [a-very-long-host-name-for-2001-db8--1.example.com]:http rr\n" +
		"  -> [a-very-long-host-name-for-2001-db8--2.example.com]:https Masq    1      0          0         \n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	Save(&b, svcs[:1], false, names)
	want = "-A -t a-very-long-host-name-for-10.0.0.1.example.com:http -s rr\n" +
		"-a -t a-very-long-host-name-for-10.0.0.1.example.com:http -r a-very-long-host-name-for-10.0.0.2.example.com:http -g -w 1\n"
	if b.String() != want {
		t.Errorf("save got:\n%s\nwant:\n%s", b.String(), want)
	}
	long := addrPortName(netip.MustParseAddr("2001:db8::3"), 8080, api.ProtoTCP, false,
		&longNames{*loadTestNames(t)})
	if len(long) != 59 || !strings.HasPrefix(long, "[a-very-long") {
		t.Errorf("59-byte cut: %q (%d)", long, len(long))
	}
}

// TestServiceLineVariants covers flags, masks, PE, ops, FullNAT and the
// tunnel column/rule forms not present in the golden scenarios.
func TestServiceLineVariants(t *testing.T) {
	svc := api.Service{Key: api.ServiceKey{Protocol: api.ProtoUDP, Addr: netip.MustParseAddr("10.0.0.2"), Port: 5060},
		Scheduler: "sh", Flags: api.SvcPersistent | api.SvcSched2 | api.SvcSched3 | api.SvcOnePacket,
		Timeout: 60, Netmask: 0xffffff00, PE: "sip",
		Dests: []api.Dest{
			{Addr: netip.MustParseAddr("10.1.0.1"), Port: 5060, Method: api.MethodFullNAT, Weight: -1},
			{Addr: netip.MustParseAddr("10.1.0.2"), Port: 5060, Method: api.MethodTunnel, TunType: api.TunGRE, TunFlags: 1, Weight: 2},
		}}
	var b strings.Builder
	ListService(&b, svc, FmtNumeric|FmtTunInfo, nil)
	want := "Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n" +
		"UDP  10.0.0.2:5060 sh (sh-port,flag-3) persistent 60 mask 255.255.255.0 pe sip ops\n" +
		"  -> 10.1.0.1:5060                FullNat n/a           -1     0          0         \n" +
		"  -> 10.1.0.2:5060                Tunnel  gre:+c        2      0          0         \n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	Save(&b, []api.Service{svc}, true, nil)
	want = "-A -u 10.0.0.2:5060 -s sh -p 60 -M 255.255.255.0 --pe sip -o -b sh-port,flag-3\n" +
		"-a -u 10.0.0.2:5060 -r 10.1.0.1:5060 --fullnat -w -1\n" +
		"-a -u 10.0.0.2:5060 -r 10.1.0.2:5060 -i -w 2 --tun-type gre --tun-csum\n"
	if b.String() != want {
		t.Errorf("save got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	ListService(&b, svc, FmtNumeric|FmtPersistentConn, nil)
	if !strings.Contains(b.String(), "  -> 10.1.0.1:5060                4294967295 0           0          0         \n") {
		t.Errorf("negative weight in --persistent-conn is printed unsigned:\n%s", b.String())
	}
}

func TestListConnsProtocols(t *testing.T) {
	conns := []api.Conn{
		{Protocol: 1, Client: netip.MustParseAddr("1.1.1.1"), Virtual: netip.MustParseAddr("2.2.2.2"),
			Dest: netip.MustParseAddr("3.3.3.3"), State: "ICMP", Expires: 3661},
		{Protocol: 47, Client: netip.MustParseAddr("1.1.1.1"), CPort: 80, Virtual: netip.MustParseAddr("2.2.2.2"),
			Dest: netip.MustParseAddr("3.3.3.3"), State: "NONE", Expires: 5},
		{Protocol: api.ProtoSCTP, Client: netip.MustParseAddr("1.1.1.1"), CPort: 80, Virtual: netip.MustParseAddr("2.2.2.2"),
			VPort: 80, Dest: netip.MustParseAddr("3.3.3.3"), DPort: 80, State: "ESTABLISHED", Expires: 900},
	}
	var b strings.Builder
	ListConns(&b, conns, 0, loadTestNames(t))
	want := "IPVS connection entries\n" +
		"pro expire state       source             virtual            destination\n" +
		"ICMP 61:01  ICMP        1.1.1.1:0          2.2.2.2:0          3.3.3.3:0\n" +
		"IP_47 00:05  NONE        1.1.1.1:80         2.2.2.2:0          3.3.3.3:0\n" +
		"SCTP 15:00  ESTABLISHED 1.1.1.1:80         2.2.2.2:80         3.3.3.3:80\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
