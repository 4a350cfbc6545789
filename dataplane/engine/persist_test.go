package engine

import (
	"net/netip"
	"testing"

	"github.com/xlvs/xlvs/dataplane/conntrack"
	"github.com/xlvs/xlvs/dataplane/packet"
	"github.com/xlvs/xlvs/dataplane/snapshot"
	"github.com/xlvs/xlvs/dataplane/verdict"
	"github.com/xlvs/xlvs/internal/testpkt"
)

// persistFixture is the standard fixture with service 0 (vip4:80 TCP, rr,
// rs1 and rs2) made persistent with the given timeout and netmask.
func persistFixture(t *testing.T, workers int, timeout, netmask uint32) *fixture {
	f := newFixture(t, workers, "rr")
	f.svcs[0].Flags = snapshot.SvcPersistent
	f.svcs[0].PersistTimeout = timeout
	f.svcs[0].Netmask = netmask
	f.publish()
	return f
}

func (f *fixture) publishMarks(marks ...snapshot.MarkRule) {
	f.gen++
	s, err := snapshot.Build(f.gen, f.svcs, f.dests, conntrack.DefaultTimeouts(), marks...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.eng.Publish(s)
}

// serverOf sends frame through worker w at now and returns the real
// server (rs1MAC or rs2MAC) it was forwarded to, failing if it was not.
func (f *fixture) serverOf(w int, frame []byte, now int64) [6]byte {
	f.t.Helper()
	f.inject(w, frame)
	f.poll(now)
	out := f.sent()
	if len(out) != 1 {
		f.t.Fatalf("sent %d frames, want 1 (drops %v)", len(out), f.eng.Counters().Drops)
	}
	return dstMAC(out[0].Frame)
}

func synTo(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	return testpkt.Eth(clientMAC, dirMAC).IPv4(src, dst).TCP(sport, dport, packet.TCPSyn).Bytes()
}

func other(mac [6]byte) [6]byte {
	if mac == rs1MAC {
		return rs2MAC
	}
	return rs1MAC
}

// With rr and no persistence consecutive connections alternate; with
// persistence every connection of a client goes where its first went,
// while another client is scheduled (rr moves on).
func TestPersistenceKeepsClientOnServer(t *testing.T) {
	f := persistFixture(t, 1, 360, 0xffffffff)
	first := f.serverOf(0, syn(client(1), 1000, vip4), 1)
	for i := 1; i < 10; i++ {
		if got := f.serverOf(0, syn(client(1), uint16(1000+i), vip4), 1); got != first {
			t.Fatalf("connection %d of the client went to %x, want %x", i, got, first)
		}
	}
	if got := f.serverOf(0, syn(client(2), 1000, vip4), 1); got != other(first) {
		t.Errorf("a second client went to %x, want the next server in rr order %x", got, other(first))
	}
	p := f.eng.DestStats(0).PersistConns + f.eng.DestStats(1).PersistConns
	if p != 2 {
		t.Errorf("PersistConns %d, want 2 (one template per client)", p)
	}
	if a := f.eng.DestStats(0).ActiveConns + f.eng.DestStats(1).ActiveConns; a != 11 {
		t.Errorf("ActiveConns %d, want 11: templates must not count as connections", a)
	}
}

// A netmask groups clients: 198.19.0.1 and 198.19.0.2 share a /24 template.
func TestPersistenceNetmaskGroupsClients(t *testing.T) {
	f := persistFixture(t, 1, 360, 0xffffff00)
	a := f.serverOf(0, syn(client(1), 1000, vip4), 1)
	if b := f.serverOf(0, syn(client(2), 1000, vip4), 1); b != a {
		t.Errorf("198.19.0.2 went to %x, 198.19.0.1 to %x: a /24 netmask must keep them together", b, a)
	}
	if c := f.serverOf(0, syn(client(256+1), 1000, vip4), 1); c != other(a) {
		t.Errorf("198.19.1.1 (another /24) went to %x, want %x", c, other(a))
	}
}

// A port-0 persistent service makes every port of the VIP sticky together.
func TestPersistencePortZeroSpansPorts(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.svcs[0].Port = 0
	f.svcs[0].Flags, f.svcs[0].PersistTimeout, f.svcs[0].Netmask = snapshot.SvcPersistent, 360, 0xffffffff
	f.publish()
	first := f.serverOf(0, synTo(client(1), 1000, vip4, 80), 1)
	for i, port := range []uint16{443, 8080, 22, 80} {
		if got := f.serverOf(0, synTo(client(1), uint16(2000+i), vip4, port), 1); got != first {
			t.Errorf("port %d went to %x, want %x like port 80", port, got, first)
		}
	}
	if f.eng.DestStats(0).PersistConns+f.eng.DestStats(1).PersistConns != 1 {
		t.Errorf("want one template for all ports")
	}
}

// A template expires after the persistence timeout once no connection it
// controls lives; while one lives it is kept.
func TestTemplateOutlivesAndIsHeldByConnections(t *testing.T) {
	f := persistFixture(t, 1, 2, 0xffffffff)
	first := f.serverOf(0, syn(client(1), 1000, vip4), 1)
	// Established: the connection lives 900 s, holding the template.
	f.inject(0, tcpFrame(client(1), 1000, vip4, packet.TCPAck, nil))
	f.poll(2)
	f.sent()
	now := 30 * second
	f.poll(now)
	if got := f.serverOf(0, syn(client(1), 1001, vip4), now); got != first {
		t.Fatalf("30 s later, with a live controlled connection, the client went to %x, want %x", got, first)
	}
	// A SYN-only connection is in SYN_RECV (60 s); let everything expire.
	now += 1000 * second
	for i := 0; i < 4; i++ {
		f.poll(now)
	}
	if l := f.eng.Workers()[0].ct.Len(); l != 0 {
		t.Fatalf("%d entries left after every timer ran out, want 0", l)
	}
	if p := f.eng.DestStats(0).PersistConns + f.eng.DestStats(1).PersistConns; p != 0 {
		t.Errorf("PersistConns %d after the template expired, want 0", p)
	}
}

// Quiescing (weight 0) or deleting the template's server makes new
// connections reschedule and replace the template.
func TestQuiescedOrDeletedServerTemplateStopsAttracting(t *testing.T) {
	for _, c := range []struct {
		name  string
		apply func(d *snapshot.Dest)
	}{
		{"weight-0", func(d *snapshot.Dest) { d.Weight = 0 }},
		{"deleted", func(d *snapshot.Dest) { d.Available = false }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := persistFixture(t, 1, 360, 0xffffffff)
			first := f.serverOf(0, syn(client(1), 1000, vip4), 1)
			slot := 0
			if first == rs2MAC {
				slot = 1
			}
			c.apply(&f.dests[slot])
			if c.name == "deleted" {
				f.svcs[0].Dests = []uint32{uint32(1 - slot)}
			}
			f.publish()
			if got := f.serverOf(0, syn(client(1), 1001, vip4), 2); got != other(first) {
				t.Fatalf("after %s the client went to %x, want %x", c.name, got, other(first))
			}
			if p := f.eng.DestStats(uint32(slot)).PersistConns; p != 0 {
				t.Errorf("old server keeps %d templates, want 0", p)
			}
			if p := f.eng.DestStats(uint32(1 - slot)).PersistConns; p != 1 {
				t.Errorf("new server has %d templates, want 1", p)
			}
			// The new template sticks.
			if got := f.serverOf(0, syn(client(1), 1002, vip4), 3); got != other(first) {
				t.Errorf("the replacement template did not stick: %x", got)
			}
		})
	}
}

// One-packet scheduling: every datagram is scheduled, none is tracked.
func TestOnePacketSchedulingSchedulesEveryDatagram(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.svcs[1].Flags = snapshot.SvcOnePacket
	f.publish()
	count := map[[6]byte]int{}
	for i := 0; i < 10; i++ {
		count[f.serverOf(0, testpktUDP(client(1), 5353, vip4, 53), int64(i+1))]++
	}
	if count[rs1MAC] != 5 || count[rs2MAC] != 5 {
		t.Errorf("datagrams of one flow spread %v, want 5/5 under rr", count)
	}
	if l := f.eng.Workers()[0].ct.Len(); l != 0 {
		t.Errorf("%d connections kept, want 0", l)
	}
	st := f.eng.DestStats(2)
	if st.InactConns != 0 || st.Conns != 5 {
		t.Errorf("rs1 udp: InActConn %d Conns %d, want 0 and 5", st.InactConns, st.Conns)
	}
	// TCP ignores the flag (IPVS: one-packet is for UDP only).
	f.svcs[0].Flags = snapshot.SvcOnePacket
	f.publish()
	f.serverOf(0, syn(client(1), 1000, vip4), 20)
	if l := f.eng.Workers()[0].ct.Len(); l != 1 {
		t.Errorf("TCP connection of a -o service not tracked (table %d)", l)
	}
}

// -p with -o: no connection is kept, so the template alone decides and it
// releases the client after the persistence timeout.
func TestPersistentOnePacketReleasesAfterTimeout(t *testing.T) {
	f := newFixture(t, 1, "rr")
	f.svcs[1].Flags = snapshot.SvcPersistent | snapshot.SvcOnePacket
	f.svcs[1].PersistTimeout, f.svcs[1].Netmask = 2, 0xffffffff
	f.publish()
	first := f.serverOf(0, testpktUDP(client(1), 5353, vip4, 53), second)
	for i := 0; i < 5; i++ {
		if got := f.serverOf(0, testpktUDP(client(1), uint16(6000+i), vip4, 53), second+int64(i)*second/10); got != first {
			t.Fatalf("datagram %d within the timeout went to %x, want %x", i, got, first)
		}
	}
	// Last use at 1.4 s: the template lives until 3.4 s.
	if got := f.serverOf(0, testpktUDP(client(1), 7000, vip4, 53), 3*second); got != first {
		t.Fatalf("before the timeout the client went to %x, want %x", got, first)
	}
	if got := f.serverOf(0, testpktUDP(client(1), 7001, vip4, 53), 6*second); got != other(first) {
		t.Errorf("after the timeout the client went to %x, want the next rr server %x", got, other(first))
	}
}

// Packets from client port 0 to a persistent port service carry the
// template's key: they are dropped, never treated as the template.
func TestClientPortZeroDoesNotHitTemplate(t *testing.T) {
	f := persistFixture(t, 1, 360, 0xffffffff)
	f.serverOf(0, syn(client(1), 1000, vip4), 1)
	f.inject(0, tcpFrame(client(1), 0, vip4, packet.TCPAck, nil))
	f.poll(2)
	if n := len(f.sent()); n != 0 || f.drops(verdict.SrcPortZero) != 1 {
		t.Errorf("sent %d, source-port-zero drops %d; want 0 and 1", n, f.drops(verdict.SrcPortZero))
	}
	f.checkFrames()
}

// With two workers a persistent service's flows of one client are owned
// by one worker whatever the source port, so one template serves them.
func TestPersistentOwnerIgnoresClientPort(t *testing.T) {
	f := persistFixture(t, 2, 360, 0xffffffff)
	first := f.serverOf(0, syn(client(7), 1000, vip4), 1)
	for i := 1; i < 40; i++ {
		if got := f.serverOf(i%2, syn(client(7), uint16(1000+i), vip4), 1); got != first {
			t.Fatalf("connection %d went to %x, want %x", i, got, first)
		}
	}
	w := f.eng.Workers()
	var templates int
	for _, wk := range w {
		wk.ct.Range(func(_ int32, e *conntrack.Entry) bool {
			if e.Flags&conntrack.FlagTemplate != 0 {
				templates++
			}
			return true
		})
	}
	if templates != 1 {
		t.Errorf("%d templates over the workers, want 1", templates)
	}
	svc := &f.svcs[0]
	a, b := client(7).As16(), client(7).As16()
	if w[0].ownerOf(svc, &a, 1) != w[0].ownerOf(svc, &b, 65000) {
		t.Errorf("ownerOf depends on the client port for a persistent service")
	}
}

// The template key follows IPVS: port services keep the virtual port,
// port-0, FTP and firewall-mark services do not; fwmark templates are
// IPPROTO_IP with the mark as virtual address.
func TestTemplateKeys(t *testing.T) {
	m := packet.Meta{Proto: protoTCP, Src: netip.MustParseAddr("198.19.1.2").As16(), Dst: vip4.As16(), SrcPort: 40000, DstPort: 443}
	cases := []struct {
		name string
		svc  snapshot.Service
		want conntrack.Key
	}{
		{"port", snapshot.Service{Family: 4, Port: 443, Netmask: 0xffffff00},
			conntrack.Key{Client: netip.MustParseAddr("198.19.1.0").As16(), Virtual: vip4.As16(), VPort: 443, Proto: protoTCP}},
		{"port-0", snapshot.Service{Family: 4, Port: 0, Netmask: 0xffffffff},
			conntrack.Key{Client: m.Src, Virtual: vip4.As16(), Proto: protoTCP}},
		{"ftp", snapshot.Service{Family: 4, Port: 21, Netmask: 0xffffffff},
			conntrack.Key{Client: m.Src, Virtual: vip4.As16(), Proto: protoTCP}},
		{"fwmark", snapshot.Service{Family: 4, FWMark: 100, Netmask: 0xffff0000},
			conntrack.Key{Client: netip.MustParseAddr("198.19.0.0").As16(), Virtual: netip.MustParseAddr("0.0.0.100").As16()}},
	}
	for _, c := range cases {
		mm := m
		if c.name == "ftp" {
			mm.DstPort = 21
		}
		var k conntrack.Key
		templateKey(&c.svc, &mm, &k)
		if k != c.want {
			t.Errorf("%s: key %+v, want %+v", c.name, k, c.want)
		}
	}
	m6 := packet.Meta{Proto: protoUDP, Src: netip.MustParseAddr("fd00:19:1:2::5").As16(), Dst: vip6.As16(), SrcPort: 1, DstPort: 53}
	var k conntrack.Key
	templateKey(&snapshot.Service{Family: 6, FWMark: 0x01020304, Netmask: 48}, &m6, &k)
	want := conntrack.Key{Client: netip.MustParseAddr("fd00:19:1::").As16(), Virtual: netip.MustParseAddr("102:304::").As16()}
	if k != want {
		t.Errorf("ipv6 fwmark /48: key %+v, want %+v", k, want)
	}
}

// A template is held while a connection it controls lives, however long,
// and released once the last one has gone: SYN, ACK (ESTABLISHED, 900 s),
// then RST (CLOSE, 10 s) keeps a -p 2 template for about 10 s, not 900.
func TestTemplateReleasedWhenLastControlledConnectionGoes(t *testing.T) {
	f := persistFixture(t, 1, 2, 0xffffffff)
	first := f.serverOf(0, syn(client(1), 1000, vip4), second)
	for _, fl := range []uint8{packet.TCPAck, packet.TCPRst | packet.TCPAck} {
		f.inject(0, tcpFrame(client(1), 1000, vip4, fl, nil))
		f.poll(second + second/10)
		f.sent()
	}
	if got := f.serverOf(0, syn(client(1), 1001, vip4), 5*second); got != first {
		t.Fatalf("at 5 s, with a controlled connection alive, the client went to %x, want %x", got, first)
	}
	for _, fl := range []uint8{packet.TCPAck, packet.TCPRst} {
		f.inject(0, tcpFrame(client(1), 1001, vip4, fl, nil))
		f.poll(5*second + second/10)
		f.sent()
	}
	// Both connections are in CLOSE (10 s): gone by 15.1 s; the template
	// (deadline 7 s) goes with the last of them.
	for _, now := range []int64{16 * second, 16*second + 1} {
		f.poll(now)
	}
	if p := f.eng.DestStats(0).PersistConns + f.eng.DestStats(1).PersistConns; p != 0 {
		t.Fatalf("PersistConns %d at 16 s, want 0: the template must go with its last connection", p)
	}
	if got := f.serverOf(0, syn(client(1), 1002, vip4), 17*second); got != other(first) {
		t.Errorf("after release the client went to %x, want the next rr server %x", got, other(first))
	}
}

// mh keeps a quiesced server's Maglev slots (last_weight): its clients
// find no server (no mh-fallback) instead of moving, and the others stay.
func TestMHQuiescedServerKeepsItsSlots(t *testing.T) {
	f := newFixture(t, 1, "mh")
	for i := range f.dests[:2] {
		f.dests[i].LastWeight = f.dests[i].Weight
	}
	f.publish()
	before := map[int][6]byte{}
	for i := 0; i < 64; i++ {
		before[i] = f.serverOf(0, syn(client(i), uint16(1000+i), vip4), 1)
	}
	f.dests[1].Weight = 0 // rs2 quiesced, LastWeight 1
	f.publish()
	var moved, dropped int
	for i := 0; i < 64; i++ {
		f.inject(0, syn(client(i), uint16(2000+i), vip4))
		f.poll(2)
		out := f.sent()
		switch {
		case before[i] == rs2MAC && len(out) == 0:
			dropped++
		case before[i] == rs1MAC && len(out) == 1 && dstMAC(out[0].Frame) == rs1MAC:
		default:
			moved++
		}
	}
	if moved != 0 || dropped == 0 {
		t.Errorf("after quiescing rs2: %d clients moved, %d of rs2's found no server; want 0 moved", moved, dropped)
	}
}

// A new connection from client port 0 to a persistent service is refused:
// its key would be its own template's.
func TestNewConnectionFromPortZeroRefused(t *testing.T) {
	f := persistFixture(t, 1, 360, 0xffffffff)
	f.inject(0, syn(client(1), 0, vip4))
	f.poll(1)
	if n := len(f.sent()); n != 0 || f.drops(verdict.SrcPortZero) != 1 || f.drops(verdict.ConnTableFull) != 0 {
		t.Errorf("sent %d; source-port-zero %d, conntrack-full %d; want 0, 1, 0", n, f.drops(verdict.SrcPortZero), f.drops(verdict.ConnTableFull))
	}
	if f.eng.Workers()[0].ct.Len() != 0 {
		t.Errorf("entries left behind")
	}
}
