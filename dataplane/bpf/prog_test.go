//go:build linux

package bpf

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/xlvs/xlvs/internal/netlab"
)

// XDP actions (enum xdp_action).
const (
	xdpPass     = 2
	xdpRedirect = 4
)

// afXDP is AF_XDP; the syscall package does not name it.
const afXDP = 44

// Addresses of the BPF_PROG_RUN tests.
const (
	vip4    = "198.18.0.10"
	vip4All = "198.18.0.11" // TCP port-0 service
	notVIP4 = "198.18.0.99"
	client4 = "198.18.1.1"
	vip6    = "2001:db8::10"
	client6 = "2001:db8::1"
	rs4     = "198.18.2.10" // NAT real server
)

// testServices are the services the table tests run against.
var testServices = []ServiceKey{
	{Proto: ProtoTCP, Addr: netip.MustParseAddr(vip4), Port: 80},
	{Proto: ProtoUDP, Addr: netip.MustParseAddr(vip4), Port: 53},
	{Proto: ProtoSCTP, Addr: netip.MustParseAddr(vip4), Port: 9000},
	{Proto: ProtoTCP, Addr: netip.MustParseAddr(vip4All), Port: 0},
	{Proto: ProtoTCP, Addr: netip.MustParseAddr(vip6), Port: 443},
	{Proto: ProtoUDP, Addr: netip.MustParseAddr(vip6), Port: 0},
}

// loadT loads a Steering for the test (root only) and closes it on cleanup.
func loadT(t testing.TB) *Steering {
	t.Helper()
	netlab.RequireRoot(t)
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// xskFD returns an AF_XDP socket (unbound: BPF_PROG_RUN does not deliver
// redirected frames, it only reports XDP_REDIRECT) closed on cleanup.
func xskFD(t testing.TB) int {
	t.Helper()
	fd, err := syscall.Socket(afXDP, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("AF_XDP socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

// loopbackIndex is the ifindex BPF_PROG_RUN reports as ingress: the
// loopback device of the calling thread's namespace. Its rx queue is 0.
func loopbackIndex(t testing.TB) int {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	return lo.Index
}

// runFrame runs the program on frame and returns its action and the one
// counter that moved; it fails the test unless exactly one counter grew,
// by exactly one. The frame arrives on rx queue 0 of the loopback device of
// the calling thread's namespace.
func runFrame(t *testing.T, s *Steering, frame []byte) (uint32, string) {
	t.Helper()
	return runOpts(t, s, &ebpf.RunOptions{Data: frame}, nil)
}

// steerCase is a frame and what the program must do with it: its action
// and the one counter it moves.
type steerCase struct {
	name   string
	frame  []byte
	action uint32
	reason string
}

// runCases runs the program on each case's frame, in a subtest named by
// the case, and checks the action and the counter.
func runCases(t *testing.T, s *Steering, cases []steerCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if action, reason := runFrame(t, s, tt.frame); action != tt.action || reason != tt.reason {
				t.Errorf("got action %d counted %q, want action %d counted %q", action, reason, tt.action, tt.reason)
			}
		})
	}
}

// xdpMD is struct xdp_md of linux/bpf.h, the context BPF_PROG_RUN takes.
type xdpMD struct {
	Data, DataEnd, DataMeta, IngressIfindex, RxQueueIndex, EgressIfindex uint32
}

// runFrameOn is runFrame for a frame received on rx queue 0 of ifindex in
// namespace ns, whose XDP rx queue must be registered (veth: a program is
// attached).
func runFrameOn(t *testing.T, s *Steering, ns *netlab.NS, ifindex int, frame []byte) (uint32, string) {
	t.Helper()
	opts := &ebpf.RunOptions{
		Data:    frame,
		Context: xdpMD{DataEnd: uint32(len(frame)), IngressIfindex: uint32(ifindex)},
	}
	return runOpts(t, s, opts, ns)
}

func runOpts(t *testing.T, s *Steering, opts *ebpf.RunOptions, ns *netlab.NS) (uint32, string) {
	t.Helper()
	before, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	var ret uint32
	run := func() (err error) {
		ret, err = s.objs.XlvsSteer.Run(opts)
		return err
	}
	if ns != nil {
		err = ns.Do(run)
	} else {
		err = run()
	}
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	after, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	moved := ""
	for name, n := range after {
		switch d := n - before[name]; {
		case d == 0:
		case d == 1 && moved == "":
			moved = name
		default:
			t.Fatalf("counter %s moved by %d (already moved: %q)", name, d, moved)
		}
	}
	if moved == "" {
		t.Fatal("no counter moved")
	}
	return ret, moved
}

// steeringT is a loaded program with testServices, a slot for the loopback
// device and a socket on its queue 0.
func steeringT(t testing.TB) *Steering {
	t.Helper()
	s := loadT(t)
	if err := s.SetServices(testServices); err != nil {
		t.Fatal(err)
	}
	if err := s.SetXSK(loopbackIndex(t), 0, xskFD(t)); err != nil {
		t.Fatal(err)
	}
	return s
}

// Frame corruptions.
func setByte(off int, v byte) func(*frame, []byte) []byte {
	return func(f *frame, b []byte) []byte { b[f.l3+off] = v; return b }
}

func setLen(off int, v uint16) func(*frame, []byte) []byte {
	return func(f *frame, b []byte) []byte { binary.BigEndian.PutUint16(b[f.l3+off:], v); return b }
}

func cutL4(n int) func(*frame, []byte) []byte {
	return func(f *frame, b []byte) []byte { return b[:f.l4+n] }
}

func TestSteeringDecisions(t *testing.T) {
	s := steeringT(t)
	const pass, redirect = xdpPass, xdpRedirect

	tests := []steerCase{
		{"arp", ether().etherType(etherARP, 28).bytes(), pass, "pass-not-ip"},
		{"lldp", ether().etherType(etherLLDP, 40).bytes(), pass, "pass-not-ip"},
		{"vlan arp", ether(tpid8021Q).etherType(etherARP, 28).bytes(), pass, "pass-not-ip"},
		{"short vlan tag", ether().etherType(tpid8021Q, 2).bytes(), pass, "pass-malformed"},
		{"short ipv4", ether().etherType(etherIPv4, 19).bytes(), pass, "pass-malformed"},
		{"short ipv6", ether().etherType(etherIPv6, 39).bytes(), pass, "pass-malformed"},
		{"three vlan tags", ether(tpidQinQ, tpid8021Q, tpid8021Q).ipv4(client4, vip4).tcp(1000, 80).bytes(), pass, "pass-vlan-depth"},

		{"ipv4 tcp service", ether().ipv4(client4, vip4).tcp(1000, 80).bytes(), redirect, "steer-service-ipv4"},
		{"ipv4 tcp service with payload", ether().ipv4(client4, vip4).tcp(1000, 80).payload(1000).bytes(), redirect, "steer-service-ipv4"},
		{"ipv4 udp service", ether().ipv4(client4, vip4).udp(1000, 53).bytes(), redirect, "steer-service-ipv4"},
		{"ipv4 sctp service", ether().ipv4(client4, vip4).sctp(1000, 9000).bytes(), redirect, "steer-service-ipv4"},
		{"ipv4 ethernet padding", append(ether().ipv4(client4, vip4).udp(1000, 53).bytes(), make([]byte, 18)...), redirect, "steer-service-ipv4"},
		{"802.1q", ether(tpid8021Q).ipv4(client4, vip4).tcp(1000, 80).bytes(), redirect, "steer-service-ipv4"},
		{"qinq", ether(tpidQinQ, tpid8021Q).ipv4(client4, vip4).tcp(1000, 80).bytes(), redirect, "steer-service-ipv4"},
		{"port-0 service", ether().ipv4(client4, vip4All).tcp(1000, 12345).bytes(), redirect, "steer-service-ipv4"},
		{"port-0 service other proto", ether().ipv4(client4, vip4All).udp(1000, 12345).bytes(), pass, "pass-no-service"},
		{"vip other port", ether().ipv4(client4, vip4).tcp(1000, 81).bytes(), pass, "pass-no-service"},
		{"vip port of other proto", ether().ipv4(client4, vip4).udp(1000, 80).bytes(), pass, "pass-no-service"},
		{"not a vip", ether().ipv4(client4, notVIP4).tcp(1000, 80).bytes(), pass, "pass-not-vip"},
		{"vip source is not a vip", ether().ipv4(vip4, client4).tcp(80, 1000).bytes(), pass, "pass-not-vip"},
		{"icmp to vip", ether().ipv4(client4, vip4).icmp().bytes(), pass, "pass-icmp"},
		{"gre to vip", ether().ipv4(client4, vip4).layer(47, make([]byte, 8)).bytes(), pass, "pass-other-proto"},

		{"ipv4 more fragments", ether().ipv4(client4, vip4).tcp(1000, 80).with(setByte(6, 0x20)), redirect, "steer-irregular"},
		{"ipv4 fragment offset", ether().ipv4(client4, vip4).tcp(1000, 80).with(setLen(6, 0x0010)), redirect, "steer-irregular"},
		{"ipv4 fragment to port-less", ether().ipv4(client4, vip4).icmp().with(setByte(6, 0x20)), redirect, "steer-irregular"},
		{"ipv4 options", ether().ipv4(client4, vip4).tcp(1000, 80).with(setByte(0, 0x46)), redirect, "steer-irregular"},
		{"ipv4 ihl 4", ether().ipv4(client4, vip4).tcp(1000, 80).with(setByte(0, 0x44)), redirect, "steer-irregular"},
		{"ipv4 bad version", ether().ipv4(client4, vip4).tcp(1000, 80).with(setByte(0, 0x65)), redirect, "steer-irregular"},
		{"ipv4 total length beyond frame", ether().ipv4(client4, vip4).tcp(1000, 80).with(setLen(2, 41)), redirect, "steer-irregular"},
		{"ipv4 total length below header", ether().ipv4(client4, vip4).tcp(1000, 80).with(setLen(2, 19)), redirect, "steer-irregular"},
		{"ipv4 tcp beyond total length", ether().ipv4(client4, vip4).tcp(1000, 80).with(setLen(2, 39)), redirect, "steer-irregular"},
		{"ipv4 tcp truncated", ether().ipv4(client4, vip4).tcp(1000, 80).with(cutL4(19)), redirect, "steer-irregular"},
		{"ipv4 udp truncated", ether().ipv4(client4, vip4).udp(1000, 53).with(cutL4(4)), redirect, "steer-irregular"},
		{"ipv4 fragment to non-vip", ether().ipv4(client4, notVIP4).tcp(1000, 80).with(setByte(6, 0x20)), pass, "pass-not-vip"},

		{"ipv6 tcp service", ether().ipv6(client6, vip6).tcp(1000, 443).bytes(), redirect, "steer-service-ipv6"},
		{"ipv6 udp port-0 service", ether().ipv6(client6, vip6).udp(1000, 5353).bytes(), redirect, "steer-service-ipv6"},
		{"ipv6 802.1q", ether(tpid8021Q).ipv6(client6, vip6).tcp(1000, 443).bytes(), redirect, "steer-service-ipv6"},
		{"ipv6 hop-by-hop", ether().ipv6(client6, vip6).ext6(0).tcp(1000, 443).bytes(), redirect, "steer-service-ipv6"},
		{"ipv6 hop-by-hop dstopts routing ah", ether().ipv6(client6, vip6).ext6(0).ext6(60).ext6(43).ext6(51).tcp(1000, 443).bytes(), redirect, "steer-service-ipv6"},
		{"ipv6 vip other port", ether().ipv6(client6, vip6).tcp(1000, 80).bytes(), pass, "pass-no-service"},
		{"ipv6 not a vip", ether().ipv6(client6, "2001:db8::99").tcp(1000, 443).bytes(), pass, "pass-not-vip"},
		{"ipv6 mapped vip4 is not the ipv4 service", ether().ipv6(client6, "::ffff:"+vip4).tcp(1000, 80).bytes(), pass, "pass-no-service"},
		{"icmpv6 to vip", ether().ipv6(client6, vip6).icmp().bytes(), pass, "pass-icmp"},
		{"ipv6 no next header", ether().ipv6(client6, vip6).layer(59, nil).bytes(), pass, "pass-other-proto"},
		{"ipv6 fragment header", ether().ipv6(client6, vip6).ext6(44).tcp(1000, 443).bytes(), redirect, "steer-irregular"},
		{"ipv6 five ext headers", ether().ipv6(client6, vip6).ext6(0).ext6(60).ext6(43).ext6(60).ext6(60).tcp(1000, 443).bytes(), redirect, "steer-irregular"},
		{"ipv6 ext header truncated", ether().ipv6(client6, vip6).ext6(0).with(func(f *frame, b []byte) []byte { return b[:f.l4+1] }), redirect, "steer-irregular"},
		{"ipv6 ext header beyond payload", ether().ipv6(client6, vip6).ext6(0).tcp(1000, 443).with(setLen(4, 4)), redirect, "steer-irregular"},
		{"ipv6 payload length beyond frame", ether().ipv6(client6, vip6).tcp(1000, 443).with(setLen(4, 21)), redirect, "steer-irregular"},
		{"ipv6 tcp truncated", ether().ipv6(client6, vip6).tcp(1000, 443).with(cutL4(10)), redirect, "steer-irregular"},
		{"ipv6 bad version", ether().ipv6(client6, vip6).tcp(1000, 443).with(setByte(0, 0x40)), redirect, "steer-irregular"},
	}
	runCases(t, s, tests)
}

func TestSteeringWithoutSocketFallsBackToKernel(t *testing.T) {
	s := loadT(t)
	if err := s.SetServices(testServices); err != nil {
		t.Fatal(err)
	}
	service := ether().ipv4(client4, vip4).tcp(1000, 80).bytes()

	// No slot for the ingress interface at all.
	if action, reason := runFrame(t, s, service); action != xdpPass || reason != "pass-no-xsk" {
		t.Errorf("no slot: got %d %q, want XDP_PASS pass-no-xsk", action, reason)
	}

	lo := loopbackIndex(t)
	if err := s.SetXSK(lo, 0, xskFD(t)); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, service); action != xdpRedirect || reason != "steer-service-ipv4" {
		t.Errorf("with socket: got %d %q, want XDP_REDIRECT steer-service-ipv4", action, reason)
	}

	// A socket on another queue does not catch queue 0.
	if err := s.DeleteXSK(lo, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetXSK(lo, 1, xskFD(t)); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, service); action != xdpPass || reason != "pass-no-xsk" {
		t.Errorf("socket on queue 1 only: got %d %q, want XDP_PASS pass-no-xsk", action, reason)
	}
	if err := s.DeleteXSK(lo, 0); err != nil {
		t.Errorf("deleting an empty entry: %v", err)
	}
}

func TestNATSources(t *testing.T) {
	s := steeringT(t)
	reply := ether().ipv4(rs4, client4).tcp(8080, 40000).bytes()
	if action, reason := runFrame(t, s, reply); action != xdpPass || reason != "pass-not-vip" {
		t.Fatalf("before SetNATSources: got %d %q, want pass-not-vip", action, reason)
	}
	if err := s.SetNATSources([]ServiceKey{{Proto: ProtoTCP, Addr: netip.MustParseAddr(rs4), Port: 8080}}); err != nil {
		t.Fatal(err)
	}
	tests := []steerCase{
		{"reply", reply, xdpRedirect, "steer-nat-reply"},
		{"other source port", ether().ipv4(rs4, client4).tcp(8081, 40000).bytes(), xdpPass, "pass-not-vip"},
		{"other protocol", ether().ipv4(rs4, client4).udp(8080, 40000).bytes(), xdpPass, "pass-not-vip"},
		{"fragment", ether().ipv4(rs4, client4).tcp(8080, 40000).with(setByte(6, 0x20)), xdpPass, "pass-not-vip"},
		{"to a service wins", ether().ipv4(rs4, vip4).tcp(8080, 80).bytes(), xdpRedirect, "steer-service-ipv4"},
	}
	runCases(t, s, tests)

	// Port 0: every port of the real server.
	if err := s.SetNATSources([]ServiceKey{{Proto: ProtoTCP, Addr: netip.MustParseAddr(rs4)}}); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, ether().ipv4(rs4, client4).tcp(8081, 40000).bytes()); action != xdpRedirect || reason != "steer-nat-reply" {
		t.Errorf("port-0 source: got %d %q, want steer-nat-reply", action, reason)
	}
	if err := s.SetNATSources(nil); err != nil {
		t.Fatal(err)
	}
	if action, reason := runFrame(t, s, reply); action != xdpPass || reason != "pass-not-vip" {
		t.Errorf("after clearing: got %d %q, want pass-not-vip", action, reason)
	}
}

func TestVerifiedInstructions(t *testing.T) {
	s := loadT(t)
	info, err := s.objs.XlvsSteer.Info()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := info.VerifiedInstructions()
	if !ok {
		t.Skip("kernel does not report verified instructions")
	}
	insns, err := info.Instructions()
	if err != nil {
		t.Logf("verifier processed %d instructions", n)
		return
	}
	t.Logf("verifier processed %d instructions; program has %d", n, len(insns))
}

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "attach":
		os.Exit(helperAttach())
	}
	os.Exit(2)
}
